// A scripted model on loopback for driving the real agent CLIs offline. It speaks the three wire
// formats the agents use, each streamed as SSE: Anthropic's Messages API (Claude Code,
// ANTHROPIC_BASE_URL), OpenAI's Responses API (Codex, a model provider with wire_api =
// "responses") and Gemini's streamGenerateContent (Gemini CLI, GOOGLE_GEMINI_BASE_URL). Each turn
// that carries the agent's tools gets the next scripted tool call; the request after it carries
// that call's result, which the server keeps for the test to assert on. When the script is done
// it answers with text, which ends the agent's turn.
import http from 'node:http';

// The text of a Messages API tool_result block's content (a string or a list of blocks).
function anthropicText(content) {
    if (typeof content === 'string') return content;
    if (!Array.isArray(content)) return '';
    return content.map((b) => (b && b.type === 'text' ? b.text : '')).join('');
}

// The results of tool calls in a Messages API request: {id, text, isError}.
function anthropicResults(body) {
    const out = [];
    for (const message of body.messages ?? []) {
        if (message.role !== 'user' || !Array.isArray(message.content)) continue;
        for (const block of message.content)
            if (block && block.type === 'tool_result')
                out.push({ id: block.tool_use_id, text: anthropicText(block.content), isError: !!block.is_error });
    }
    return out;
}

// The results of tool calls in a Responses API request: {id, text}.
function responsesResults(body) {
    const out = [];
    for (const item of Array.isArray(body.input) ? body.input : []) {
        if (!item || item.type !== 'function_call_output') continue;
        let text = item.output;
        if (Array.isArray(text)) text = text.map((p) => p.text ?? '').join('');
        else if (text && typeof text === 'object') text = text.content ?? JSON.stringify(text);
        out.push({ id: item.call_id, text: String(text ?? '') });
    }
    return out;
}

// The results of function calls in a Gemini API request: {id, text}. A result names its call by
// id when the call had one, else by the function's name.
function geminiResults(body) {
    const out = [];
    for (const content of Array.isArray(body.contents) ? body.contents : []) {
        for (const part of Array.isArray(content?.parts) ? content.parts : []) {
            const r = part?.functionResponse;
            if (!r) continue;
            const response = r.response ?? {};
            const text = typeof response.output === 'string' ? response.output
                : typeof response.error === 'string' ? response.error : JSON.stringify(response);
            out.push({ id: r.id ?? r.name, text });
        }
    }
    return out;
}

function sse(res, event, data) {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function anthropicAnswer(res, body, n, step) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const usage = { input_tokens: 10, output_tokens: 1 };
    sse(res, 'message_start', {
        type: 'message_start',
        message: { id: `msg_fake_${n}`, type: 'message', role: 'assistant', model: body.model, content: [],
                   stop_reason: null, stop_sequence: null, usage },
    });
    if (step.tool) {
        sse(res, 'content_block_start', {
            type: 'content_block_start', index: 0,
            content_block: { type: 'tool_use', id: step.id, name: step.tool, input: {} },
        });
        sse(res, 'content_block_delta', {
            type: 'content_block_delta', index: 0,
            delta: { type: 'input_json_delta', partial_json: JSON.stringify(step.input) },
        });
    } else {
        sse(res, 'content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
        sse(res, 'content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: step.text } });
    }
    sse(res, 'content_block_stop', { type: 'content_block_stop', index: 0 });
    sse(res, 'message_delta', {
        type: 'message_delta', delta: { stop_reason: step.tool ? 'tool_use' : 'end_turn', stop_sequence: null },
        usage: { output_tokens: 5 },
    });
    sse(res, 'message_stop', { type: 'message_stop' });
    res.end();
}

function geminiAnswer(res, step) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const part = step.tool ? { functionCall: { id: step.id, name: step.tool, args: step.input } } : { text: step.text };
    const chunk = {
        candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    };
    res.end(`data: ${JSON.stringify(chunk)}\n\n`);
}

// Gemini CLI first asks a small model to score the task's complexity (a JSON answer) to pick
// the model for the turn; any score does.
function geminiRouting(res) {
    const text = JSON.stringify({ complexity_reasoning: 'scripted', complexity_score: 10 });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }] }));
}

function responsesAnswer(res, n, step) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const item = step.tool
        ? { type: 'function_call', id: `fc_fake_${n}`, call_id: step.id, name: step.tool,
            arguments: JSON.stringify(step.input), status: 'completed' }
        : { type: 'message', id: `msg_fake_${n}`, role: 'assistant', status: 'completed',
            content: [{ type: 'output_text', text: step.text, annotations: [] }] };
    sse(res, 'response.created', { type: 'response.created', response: { id: `resp_fake_${n}` } });
    sse(res, 'response.output_item.added', { type: 'response.output_item.added', output_index: 0, item });
    sse(res, 'response.output_item.done', { type: 'response.output_item.done', output_index: 0, item });
    sse(res, 'response.completed', {
        type: 'response.completed',
        response: {
            id: `resp_fake_${n}`, output: [item],
            usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5,
                     output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 },
        },
    });
    res.end();
}

// steps: [{tool, input} ...]; each gets an id. Returns {url, requests, results, close}, where
// results[i] is what the agent sent back for steps[i] ({id, text, isError}), once it has.
export async function startFakeModel(steps) {
    const script = steps.map((s, i) => ({ ...s, id: s.id ?? `call_airlock_${i + 1}` }));
    const state = { requests: [], results: [], next: 0 };
    // The next scripted call once the previous one's result is in, else the closing text.
    const nextStep = () => {
        if (state.next < script.length && (state.next === 0 || state.results[state.next - 1])) return script[state.next++];
        return { text: 'done' };
    };
    const server = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            let body = {};
            try {
                body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
            } catch {
                body = {};
            }
            state.requests.push({ method: req.method, url: req.url, body, at: Date.now() });
            const n = state.requests.length;
            const anthropic = req.url.startsWith('/v1/messages');
            const responses = /\/responses(\?|$)/.test(req.url);
            const gemini = /:streamGenerateContent(\?|$)/.test(req.url);
            if (/:generateContent(\?|$)/.test(req.url)) return geminiRouting(res);
            if (req.method !== 'POST' || (!anthropic && !responses && !gemini)) {
                res.writeHead(404, { 'content-type': 'application/json' });
                res.end('{"error": "the fake model answers only model requests"}');
                return;
            }
            const seen = anthropic ? anthropicResults(body) : gemini ? geminiResults(body) : responsesResults(body);
            for (const r of seen) {
                const i = script.findIndex((s) => s.id === r.id);
                if (i >= 0 && !state.results[i]) state.results[i] = r;
            }
            // A request without tools (a title, a summary) is not the agent's turn.
            const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
            if (gemini) return geminiAnswer(res, hasTools ? nextStep() : { text: 'done' });
            const step = hasTools ? nextStep() : { text: 'done' };
            if (anthropic) anthropicAnswer(res, body, n, step);
            else responsesAnswer(res, n, step);
        });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    return {
        url: `http://127.0.0.1:${port}`,
        requests: state.requests,
        results: state.results,
        close: () => new Promise((resolve) => {
            server.closeAllConnections?.();
            server.close(() => resolve());
        }),
    };
}
