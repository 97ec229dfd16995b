// The real Gemini CLI (npm @google/gemini-cli, pinned) with airlock's hook installed by
// `airlock init gemini-cli --project`, driven offline by the scripted fake model
// (GOOGLE_GEMINI_BASE_URL): each tool call goes through `airlock hook gemini-cli` (BeforeTool).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { startFakeModel } from './fake_model.js';
import {
    CRITICAL_MKFS, CRITICAL_PIPE, agentBinary, airlock, assertBenignRanInSandbox, assertDeniedCritical,
    baseEnv, benignCommand, explain, run, scratch,
} from './helpers.js';

const gemini = agentBinary('gemini-cli');
const skip = gemini.file ? false : `not applicable here: ${gemini.reason}`;
if (skip) console.log(`# gemini-cli: ${skip}`);

function project(name) {
    const dir = scratch('gemini-cli', name);
    const r = airlock(dir, ['init', 'gemini-cli', '--project']);
    assert.equal(r.status, 0, r.stderr);
    // The user's own settings: API-key authentication (the key goes only to the fake model).
    fs.mkdirSync(path.join(dir.home, '.gemini'), { recursive: true });
    fs.writeFileSync(path.join(dir.home, '.gemini', 'settings.json'),
        JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } } }));
    return dir;
}

async function session(dir, steps) {
    const model = await startFakeModel(steps);
    try {
        const env = {
            ...baseEnv(dir),
            GEMINI_API_KEY: 'airlock-test-not-a-key',
            GOOGLE_GEMINI_BASE_URL: model.url,
            GEMINI_CLI_TRUST_WORKSPACE: 'true',
        };
        // --yolo: Gemini CLI's own confirmations are off (and its shell and write tools are
        // offered in headless mode); airlock's hook is the only gate.
        const ran = await run(gemini.file, ['-p', 'run the scripted tools', '--yolo'], { cwd: dir.project, env });
        return { ran, model };
    } finally {
        await model.close();
    }
}

// The command's output in Gemini CLI's run_shell_command result ("Output: <output>\n...").
function geminiOutput(text) {
    const m = /Output: ([^\n]*)\n/.exec(text);
    return m ? `${m[1]}\n` : text;
}

describe(`real Gemini CLI (${gemini.version ?? 'absent'}) behind airlock init gemini-cli`, { skip }, () => {
    test('a critical command is denied and the model reads airlock\'s reason', async () => {
        const dir = project('deny');
        try {
            const { ran, model } = await session(dir, [
                { tool: 'run_shell_command', input: { command: CRITICAL_PIPE } },
                { tool: 'run_shell_command', input: { command: CRITICAL_MKFS } },
            ]);
            const why = explain(ran, model);
            assert.equal(ran.status, 0, why);
            for (const r of model.results) assert.match(r.text, /^Tool execution blocked: airlock denied this/, why);
            assertDeniedCritical(dir, model, why);
        } finally {
            dir.cleanup();
        }
    });

    test('a benign command runs in airlock\'s sandbox, in the session\'s run, and the model reads its own output', async () => {
        const dir = project('benign');
        try {
            const outside = path.join(dir.root, 'escaped.txt');
            const { ran, model } = await session(dir, [{ tool: 'run_shell_command', input: { command: benignCommand(outside) } }]);
            assert.equal(ran.status, 0, explain(ran, model));
            assertBenignRanInSandbox(dir, model, outside, explain(ran, model), { output: geminiOutput, toolUseIds: false });
        } finally {
            dir.cleanup();
        }
    });

    test('a write_file to .vscode is denied by the protection floor, one inside the workspace is written', async () => {
        // Gemini CLI refuses paths under .git itself; .vscode (editor tasks run commands) is
        // on airlock's floor and not on Gemini CLI's.
        const dir = project('write');
        try {
            const tasks = path.join(dir.project, '.vscode', 'tasks.json');
            const notes = path.join(dir.project, 'notes.txt');
            const { ran, model } = await session(dir, [
                { tool: 'write_file', input: { file_path: tasks, content: '{"version": "2.0.0", "tasks": []}\n' } },
                { tool: 'write_file', input: { file_path: notes, content: 'written by the model\n' } },
            ]);
            const why = explain(ran, model);
            assert.equal(ran.status, 0, why);
            assert.equal(model.results.length, 2, why);
            assert.match(model.results[0].text, /airlock denied this \(stage floor\).*\.vscode/, why);
            assert.equal(fs.existsSync(tasks), false, 'the protected file was written');
            assert.equal(fs.readFileSync(notes, 'utf8'), 'written by the model\n');
        } finally {
            dir.cleanup();
        }
    });

    test('a policy that does not load blocks the call: the command does not run', async () => {
        const dir = project('badpolicy');
        try {
            fs.writeFileSync(path.join(dir.project, '.airlock', 'policy.json'), '{ "version": 1, "rules": [ oops');
            const canary = path.join(dir.project, 'canary.txt');
            const { ran, model } = await session(dir, [{ tool: 'run_shell_command', input: { command: `echo ran > ${canary}` } }]);
            const why = explain(ran, model);
            assert.equal(model.results.length, 1, why);
            assert.match(model.results[0].text, /airlock could not decide this \(stage policy\)/, why);
            assert.equal(fs.existsSync(canary), false, 'the command ran although its hook failed');
        } finally {
            dir.cleanup();
        }
    });
});
