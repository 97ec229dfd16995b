// The real Claude Code CLI (npm @anthropic-ai/claude-code, pinned) with airlock's hook installed
// by `airlock init claude-code --project`, driven offline by the scripted fake model: each tool
// call the model makes goes through `airlock hook claude-code`, and what the tool returned comes
// back to the model in its next request, where the test reads it.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { startFakeModel } from './fake_model.js';
import {
    CRITICAL_MKFS, CRITICAL_PIPE, agentBinary, airlock, assertBenignRanInSandbox, assertDeniedCritical,
    baseEnv, benignCommand, explain, run, scratch,
} from './helpers.js';

const claude = agentBinary('claude-code');
const skip = claude.file ? false : `not applicable here: ${claude.reason}`;
if (skip) console.log(`# claude-code: ${skip}`);

// One Claude Code session in print mode against a fresh fake model that makes `steps` tool calls.
async function session(dir, steps, extraArgs = []) {
    const model = await startFakeModel(steps);
    try {
        const env = {
            ...baseEnv(dir),
            ANTHROPIC_BASE_URL: model.url,
            ANTHROPIC_API_KEY: 'sk-airlock-test-not-a-key',
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
            DISABLE_AUTOUPDATER: '1',
            // As root Claude Code refuses --dangerously-skip-permissions outside a sandbox. With
            // it, Claude Code's own permission prompts are off: airlock's hook is the only gate.
            IS_SANDBOX: '1',
        };
        const ran = await run(claude.file, ['-p', 'run the scripted tools', '--dangerously-skip-permissions', ...extraArgs], {
            cwd: dir.project, env,
        });
        return { ran, model };
    } finally {
        await model.close();
    }
}

// A scratch project with the hook installed the way a user does it.
function project(name) {
    const dir = scratch('claude-code', name);
    const r = airlock(dir, ['init', 'claude-code', '--project']);
    assert.equal(r.status, 0, r.stderr);
    const settings = JSON.parse(fs.readFileSync(path.join(dir.project, '.claude', 'settings.json'), 'utf8'));
    assert.match(settings.hooks.PreToolUse[0].hooks[0].command, / hook claude-code$/);
    return dir;
}

describe(`real Claude Code (${claude.version ?? 'absent'}) behind airlock init claude-code`, { skip }, () => {
    test('a critical command is denied and the model reads airlock\'s reason', async () => {
        const dir = project('deny');
        try {
            const { ran, model } = await session(dir, [
                { tool: 'Bash', input: { command: CRITICAL_PIPE, description: 'fetch and run a script' } },
                { tool: 'Bash', input: { command: CRITICAL_MKFS, description: 'make a file system' } },
            ]);
            assert.equal(ran.status, 0, explain(ran, model));
            assertDeniedCritical(dir, model, explain(ran, model));
        } finally {
            dir.cleanup();
        }
    });

    test('a benign command runs in airlock\'s sandbox, in the session\'s run, and the model reads its own output', async () => {
        const dir = project('benign');
        try {
            const outside = path.join(dir.root, 'escaped.txt');
            const { ran, model } = await session(dir, [
                { tool: 'Bash', input: { command: benignCommand(outside), description: 'say hello' } },
            ]);
            assert.equal(ran.status, 0, explain(ran, model));
            assertBenignRanInSandbox(dir, model, outside, explain(ran, model));
        } finally {
            dir.cleanup();
        }
    });

    test('a Write to .git/hooks is denied by the protection floor, one inside the workspace is written, a shell write is asked about', async () => {
        const dir = project('write');
        try {
            const hook = path.join(dir.project, '.git', 'hooks', 'pre-commit');
            const notes = path.join(dir.project, 'notes.txt');
            const { ran, model } = await session(dir, [
                { tool: 'Write', input: { file_path: hook, content: '#!/bin/sh\nexit 0\n' } },
                { tool: 'Write', input: { file_path: notes, content: 'written by the model\n' } },
                // The same write by the shell: the guard scores it high and the policy asks; in
                // print mode there is no user to ask, so Claude Code does not run it.
                { tool: 'Bash', input: { command: 'printf "#!/bin/sh\\nexit 0\\n" > .git/hooks/pre-commit', description: 'install a hook' } },
            ]);
            const why = explain(ran, model);
            assert.equal(ran.status, 0, why);
            assert.equal(model.results.length, 3, why);
            assert.equal(model.results[0].isError, true, why);
            assert.match(model.results[0].text, /airlock denied this \(stage floor\).*\.git\/hooks/, why);
            assert.equal(fs.existsSync(hook), false, 'the protected file was written');
            // The positive control: the same tool, inside the workspace, goes through.
            assert.equal(model.results[1].isError, false, why);
            assert.equal(fs.readFileSync(notes, 'utf8'), 'written by the model\n');
            assert.equal(model.results[2].isError, true, why);
            assert.match(model.results[2].text, /airlock asks \(rule "ask-high-risk"\)/, why);
            assert.equal(fs.existsSync(hook), false, 'the protected file was written by the shell');
        } finally {
            dir.cleanup();
        }
    });

    test('a policy that does not load blocks the call: the command does not run', async () => {
        const dir = project('badpolicy');
        try {
            fs.writeFileSync(path.join(dir.project, '.airlock', 'policy.json'), '{ "version": 1, "rules": [ oops');
            const canary = path.join(dir.project, 'canary.txt');
            const { ran, model } = await session(dir, [
                { tool: 'Bash', input: { command: `echo ran > ${canary}`, description: 'write a canary' } },
            ]);
            const why = explain(ran, model);
            assert.equal(model.results.length, 1, why);
            assert.equal(model.results[0].isError, true, why);
            assert.match(model.results[0].text, /airlock could not decide this \(stage policy\)/, why);
            assert.equal(fs.existsSync(canary), false, 'the command ran although its hook failed');
        } finally {
            dir.cleanup();
        }
    });

    test('a session whose run log ends in a torn line blocks the call: the command does not run', async () => {
        // The session's run is claude-code-<sha256(session id)>; its log is torn before the
        // session starts (as a crash mid-write would leave it). airlock does not continue it.
        const dir = project('torn');
        try {
            const sessionId = crypto.randomUUID();
            const run = `claude-code-${crypto.createHash('sha256').update(sessionId).digest('hex').slice(0, 24)}`;
            fs.mkdirSync(path.join(dir.project, '.airlock', 'runs', run), { recursive: true });
            fs.writeFileSync(path.join(dir.project, '.airlock', 'runs', run, 'events.jsonl'), '{"v":1,"seq":1,"ts":"2026-');
            const canary = path.join(dir.project, 'canary.txt');
            const { ran, model } = await session(dir, [
                { tool: 'Bash', input: { command: `echo ran > ${canary}`, description: 'write a canary' } },
            ], ['--session-id', sessionId]);
            const why = explain(ran, model);
            assert.equal(model.results.length, 1, why);
            assert.equal(model.results[0].isError, true, why);
            assert.match(model.results[0].text, /torn line/, why);
            assert.equal(fs.existsSync(canary), false, 'the command ran although its hook failed');
        } finally {
            dir.cleanup();
        }
    });
});
