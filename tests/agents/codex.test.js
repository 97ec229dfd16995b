// The real Codex CLI (npm @openai/codex, pinned) with airlock's hook installed by
// `airlock init codex --user` into CODEX_HOME/config.toml, driven offline by the scripted fake
// model (a custom model provider with wire_api = "responses"): Codex runs its PreToolUse hooks
// with Claude Code's contract, so `airlock hook codex` decides each call.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { startFakeModel } from './fake_model.js';
import {
    CRITICAL_MKFS, CRITICAL_PIPE, agentBinary, airlock, assertBenignRanInSandbox, assertDeniedCritical,
    baseEnv, benignCommand, explain, recordsOfType, run, scratch, theRun,
} from './helpers.js';

const codex = agentBinary('codex');
const skip = codex.file ? false : `not applicable here: ${codex.reason}`;
if (skip) console.log(`# codex: ${skip}`);

// The user's own settings, already there before airlock init: the fake model as the provider.
function providerConfig(url) {
    return [
        'model = "airlock-test-model"',
        'model_provider = "airlock_fake"',
        '',
        '[model_providers.airlock_fake]',
        'name = "airlock fake model"',
        `base_url = "${url}/v1"`,
        'wire_api = "responses"',
        '',
    ].join('\n');
}

async function session(dir, steps) {
    const model = await startFakeModel(steps);
    try {
        const codexHome = path.join(dir.home, '.codex');
        fs.mkdirSync(codexHome, { recursive: true });
        fs.writeFileSync(path.join(codexHome, 'config.toml'), providerConfig(model.url));
        const init = airlock(dir, ['init', 'codex', '--user']);
        assert.equal(init.status, 0, init.stderr);
        const env = { ...baseEnv(dir), CODEX_HOME: codexHome };
        const ran = await run(codex.file, [
            'exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox',
            '--dangerously-bypass-hook-trust', 'run the scripted tools',
        ], { cwd: dir.project, env });
        return { ran, model };
    } finally {
        await model.close();
    }
}

// The command's output in Codex's exec_command result ("...\nOutput:\n<output>").
function codexOutput(text) {
    const at = text.indexOf('Output:\n');
    return at < 0 ? text : text.slice(at + 'Output:\n'.length);
}

describe(`real Codex (${codex.version ?? 'absent'}) behind airlock init codex`, { skip }, () => {
    test('a critical command is denied and the model reads airlock\'s reason', async () => {
        const dir = scratch('codex', 'deny');
        try {
            const { ran, model } = await session(dir, [
                { tool: 'exec_command', input: { cmd: CRITICAL_PIPE } },
                { tool: 'exec_command', input: { cmd: CRITICAL_MKFS } },
            ]);
            const why = explain(ran, model);
            assert.equal(ran.status, 0, why);
            for (const r of model.results) assert.match(r.text, /^Command blocked by PreToolUse hook: airlock denied this/, why);
            assertDeniedCritical(dir, model, why);
        } finally {
            dir.cleanup();
        }
    });

    test('a benign command runs in airlock\'s sandbox, in the session\'s run, and the model reads its own output', async () => {
        const dir = scratch('codex', 'benign');
        try {
            const outside = path.join(dir.root, 'escaped.txt');
            const { ran, model } = await session(dir, [{ tool: 'exec_command', input: { cmd: benignCommand(outside) } }]);
            assert.equal(ran.status, 0, explain(ran, model));
            assertBenignRanInSandbox(dir, model, outside, explain(ran, model), { output: codexOutput });
        } finally {
            dir.cleanup();
        }
    });

    test('a shell write to .git/hooks is denied (Codex cannot ask), one inside the workspace is written', async () => {
        // Codex edits files with its shell tool here (its apply_patch tool is not offered to an
        // unknown model). The guard scores a write under .git/hooks high, which the policy asks
        // about; Codex would run an "ask" unchecked, so airlock answers deny.
        const dir = scratch('codex', 'write');
        try {
            const hook = path.join(dir.project, '.git', 'hooks', 'pre-commit');
            const notes = path.join(dir.project, 'notes.txt');
            const { ran, model } = await session(dir, [
                { tool: 'exec_command', input: { cmd: 'printf "#!/bin/sh\\nexit 0\\n" > .git/hooks/pre-commit' } },
                { tool: 'exec_command', input: { cmd: 'echo written > notes.txt' } },
            ]);
            const why = explain(ran, model);
            assert.equal(ran.status, 0, why);
            assert.equal(model.results.length, 2, why);
            assert.match(model.results[0].text, /^Command blocked by PreToolUse hook: airlock asks .*Codex cannot ask/, why);
            assert.equal(fs.existsSync(hook), false, 'the protected file was written');
            // The positive control: a write inside the workspace goes through, in the sandbox.
            assert.match(model.results[1].text, /Process exited with code 0/, why);
            assert.equal(fs.readFileSync(notes, 'utf8'), 'written\n');
            const { records } = theRun(dir, 'codex', why);
            assert.equal(recordsOfType(records, 'exec_finished').length, 1, why);
        } finally {
            dir.cleanup();
        }
    });

    test('a policy that does not load blocks the call: the command does not run', async () => {
        const dir = scratch('codex', 'badpolicy');
        try {
            fs.mkdirSync(path.join(dir.project, '.airlock'), { recursive: true });
            fs.writeFileSync(path.join(dir.project, '.airlock', 'policy.json'), '{ "version": 1, "rules": [ oops');
            const canary = path.join(dir.project, 'canary.txt');
            const { ran, model } = await session(dir, [{ tool: 'exec_command', input: { cmd: `echo ran > ${canary}` } }]);
            const why = explain(ran, model);
            assert.equal(model.results.length, 1, why);
            assert.match(model.results[0].text, /^Command blocked by PreToolUse hook: airlock could not decide this \(stage policy\)/, why);
            assert.equal(fs.existsSync(canary), false, 'the command ran although its hook failed');
        } finally {
            dir.cleanup();
        }
    });
});
