#!/usr/bin/env node
// cri.js: a small CRI client for rung's tests (Debian has no crictl).
//
//   node cri.js --endpoint unix:///path/to/containerd.sock [--timeout SECONDS] VERB [JSON|-]
//
// VERB is an RPC of runtime.v1.RuntimeService or runtime.v1.ImageService, as cri.proto names it
// (Version, RunPodSandbox, CreateContainer, ExecSync, ...). JSON is the request message with the
// proto's field names (snake_case), or - to read it from stdin; none means an empty request.
// The reply is printed on stdout as one JSON object: enums by name, 64-bit integers as strings,
// bytes (ExecSync's stdout and stderr) as UTF-8 text, fields left unset at their defaults.
// A failed call prints one line on stderr, "cri.js: VERB: CODE: DETAILS" (DETAILS is the
// server's error message, where a runtime's error ends up), and exits 1; bad usage exits 2.
//
//   node cri.js --endpoint ... --batch
//
// makes the calls read from stdin, one a line ("VERB JSON"), one after the other, and answers
// each with one line on stdout: "ok REPLY_JSON" or "error JSON_STRING" (the line above, as a
// JSON string). For a caller that pays Node's start once (in the test VM it takes 27 s).
'use strict';

const path = require('path');
const fs = require('fs');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function usage(msg) {
    process.stderr.write(`cri.js: ${msg}\n` +
        'usage: cri.js --endpoint unix://SOCKET [--timeout SECONDS] VERB [JSON|-]\n');
    process.exit(2);
}

function parseArgs(argv) {
    const opts = { endpoint: null, timeout: 60, verb: null, json: null, batch: false };
    const rest = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--endpoint' || a === '--timeout') {
            if (i + 1 >= argv.length) usage(`${a} needs a value`);
            opts[a.slice(2)] = argv[++i];
        } else if (a === '--batch') {
            opts.batch = true;
        } else if (a.startsWith('--endpoint=') || a.startsWith('--timeout=')) {
            const eq = a.indexOf('=');
            opts[a.slice(2, eq)] = a.slice(eq + 1);
        } else {
            rest.push(a);
        }
    }
    if (!opts.endpoint) usage('--endpoint is required');
    if (opts.batch ? rest.length !== 0 : rest.length < 1 || rest.length > 2) {
        usage(opts.batch ? '--batch reads its calls from stdin'
            : 'one VERB and at most one JSON request');
    }
    [opts.verb, opts.json] = rest;
    opts.timeout = Number(opts.timeout);
    if (!(opts.timeout > 0)) usage('--timeout must be a positive number of seconds');
    return opts;
}

function readRequest(json) {
    if (json === undefined || json === null) return {};
    const text = json === '-' ? fs.readFileSync(0, 'utf8') : json;
    try {
        return JSON.parse(text);
    } catch (e) {
        usage(`the request is not JSON: ${e.message}`);
    }
}

// The JSON of a reply: Buffers (bytes fields) as UTF-8 text.
function replyJson(reply) {
    return JSON.stringify(reply, (key, value) =>
        value && value.type === 'Buffer' && Array.isArray(value.data)
            ? Buffer.from(value.data).toString('utf8') : value);
}

function loadApi() {
    const definition = protoLoader.loadSync(path.join(__dirname, 'cri.proto'), {
        keepCase: true, longs: String, enums: String, defaults: true,
    });
    return grpc.loadPackageDefinition(definition).runtime.v1;
}

function serviceOf(api, verb) {
    return ['RuntimeService', 'ImageService'].find(s => verb in api[s].service);
}

// call(clients, verb, request, timeout): the reply, or a rejection with the one-line error.
function call(clients, verb, request, timeout) {
    const deadline = new Date(Date.now() + timeout * 1000);
    return new Promise((resolve, reject) => {
        clients[serviceOf(clients.api, verb)][verb](request, { deadline }, (err, reply) => {
            if (!err) return resolve(reply);
            const code = grpc.status[err.code] || err.code;
            reject(new Error(`cri.js: ${verb}: ${code}: ${err.details || err.message}`));
        });
    });
}

async function batch(clients, timeout) {
    const lines = require('readline').createInterface({ input: process.stdin });
    for await (const line of lines) {
        if (!line.trim()) continue;
        const space = line.indexOf(' ');
        const verb = space < 0 ? line : line.slice(0, space);
        let answer;
        try {
            if (!serviceOf(clients.api, verb)) throw new Error(`cri.js: unknown VERB "${verb}"`);
            const request = space < 0 ? {} : JSON.parse(line.slice(space + 1));
            answer = 'ok ' + replyJson(await call(clients, verb, request, timeout));
        } catch (e) {
            answer = 'error ' + JSON.stringify(e.message);
        }
        process.stdout.write(answer + '\n');
    }
}

function main() {
    const opts = parseArgs(process.argv.slice(2));
    const api = loadApi();
    if (!opts.batch && !serviceOf(api, opts.verb)) {
        usage(`unknown VERB "${opts.verb}" (not an RPC of cri.proto)`);
    }
    const request = opts.batch ? null : readRequest(opts.json);

    // The endpoint as the kubelet takes it (unix:///run/containerd/containerd.sock); grpc-js
    // reads unix:PATH and unix:///PATH alike. The two services share one channel.
    const credentials = grpc.credentials.createInsecure();
    const clients = { api, RuntimeService: new api.RuntimeService(opts.endpoint, credentials) };
    clients.ImageService = new api.ImageService(opts.endpoint, credentials,
        { channelOverride: grpc.getClientChannel(clients.RuntimeService) });
    const done = () => { clients.RuntimeService.close(); };
    if (opts.batch) {
        batch(clients, opts.timeout).then(done);
        return;
    }
    call(clients, opts.verb, request, opts.timeout).then(reply => {
        done();
        process.stdout.write(replyJson(reply) + '\n');
    }, err => {
        process.stderr.write(err.message + '\n');
        process.exit(1);
    });
}

main();
