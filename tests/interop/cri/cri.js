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
    const opts = { endpoint: null, timeout: 60, verb: null, json: null };
    const rest = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--endpoint' || a === '--timeout') {
            if (i + 1 >= argv.length) usage(`${a} needs a value`);
            opts[a.slice(2)] = argv[++i];
        } else if (a.startsWith('--endpoint=') || a.startsWith('--timeout=')) {
            const eq = a.indexOf('=');
            opts[a.slice(2, eq)] = a.slice(eq + 1);
        } else {
            rest.push(a);
        }
    }
    if (!opts.endpoint) usage('--endpoint is required');
    if (rest.length < 1 || rest.length > 2) usage('one VERB and at most one JSON request');
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

function main() {
    const opts = parseArgs(process.argv.slice(2));
    const definition = protoLoader.loadSync(path.join(__dirname, 'cri.proto'), {
        keepCase: true, longs: String, enums: String, defaults: true,
    });
    const api = grpc.loadPackageDefinition(definition).runtime.v1;
    const service = ['RuntimeService', 'ImageService'].find(s => opts.verb in api[s].service);
    if (!service) usage(`unknown VERB "${opts.verb}" (not an RPC of cri.proto)`);
    const request = readRequest(opts.json);

    // The endpoint as the kubelet takes it (unix:///run/containerd/containerd.sock); grpc-js
    // reads unix:PATH and unix:///PATH alike.
    const client = new api[service](opts.endpoint, grpc.credentials.createInsecure());
    const deadline = new Date(Date.now() + opts.timeout * 1000);
    client[opts.verb](request, { deadline }, (err, reply) => {
        client.close();
        if (err) {
            const code = grpc.status[err.code] || err.code;
            process.stderr.write(`cri.js: ${opts.verb}: ${code}: ${err.details || err.message}\n`);
            process.exit(1);
        }
        process.stdout.write(replyJson(reply) + '\n');
    });
}

main();
