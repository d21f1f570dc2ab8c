#!/usr/bin/env node
// Test driver: one subscriber using the product's browser client (wwwroot/realtime-sync.js) over Node's
// @microsoft/signalr, reporting what the client does as JSON lines, so tests in any language can drive it.
//
//   node tests/node/subscriber.mjs --url http://127.0.0.1:PORT/hubs/sync --token T --channel C [--channel C2]
//        [--proxy] [--max-retry-ms N] [--skip-negotiation] [--messagepack]
//
// stdout, one JSON object per line:
//   {"event":"ready","proxyPort":n|null}                      before connecting
//   {"event":"state","state":"connecting|connected|reconnecting|disconnected"}
//   {"event":"subscribed","channel","epoch","offset"}         the server accepted a subscription
//   {"event":"publication","channel","epoch","offset","type","data"}
//   {"event":"recovered","channel","reason","recovered","epoch","offset"}
//   {"event":"resync","channel","epoch","offset","previous","reason"}
//   {"event":"error","message","channel"?}                    e.g. a refused subscription
//   {"event":"proxy","action":"dropped|restored|skip","...}   acknowledges a stdin command
// stdin commands, one per line:
//   drop       (--proxy) cut every connection through the proxy and refuse new ones: a network drop the
//              client is not told about (it never calls stop)
//   restore    (--proxy) accept connections again
//   skip N     (--proxy) silently discard the next N `publication` messages the server sends to the client,
//              keeping the connection up: a lossy path between the hub and this client (gap detection)
//   quit       stop the client and exit
//
// The proxy is a plain TCP forwarder. For `skip` it reads the server's WebSocket frames after the HTTP 101
// upgrade (server frames are unmasked; the hub does not negotiate compression) and re-frames the text
// payload without the dropped SignalR records.
import net from 'node:net';
import readline from 'node:readline';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');
const here = path.dirname(fileURLToPath(import.meta.url));
const clientPath = path.resolve(here, '../../wwwroot/realtime-sync.js');

const out = event => process.stdout.write(JSON.stringify(event) + '\n');
const err = (...parts) => process.stderr.write(parts.map(p => (p instanceof Error ? p.stack ?? p.message : typeof p === 'string' ? p : JSON.stringify(p))).join(' ') + '\n');

function parseArgs(argv) {
  const args = { channels: [], proxy: false, maxRetryMs: undefined, skipNegotiation: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) {
        throw new Error(`${a} needs a value`);
      }
      return argv[++i];
    };
    switch (a) {
      case '--url': args.url = value(); break;
      case '--token': args.token = value(); break;
      case '--channel': args.channels.push(value()); break;
      case '--proxy': args.proxy = true; break;
      case '--max-retry-ms': args.maxRetryMs = Number(value()); break;
      case '--skip-negotiation': args.skipNegotiation = true; break;
      case '--messagepack': args.messagepack = true; break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (!args.url || args.channels.length === 0) {
    throw new Error('usage: subscriber.mjs --url URL --token T --channel C [--channel C2] [--proxy] [--max-retry-ms N] [--skip-negotiation] [--messagepack]');
  }
  return args;
}

// Node 20.19+ and 22+ detect ES module syntax in a .js file without "type": "module"; older ones need the source as a data: URL.
async function importClient() {
  try {
    return await import(pathToFileURL(clientPath).href);
  } catch (e) {
    if (!(e instanceof SyntaxError)) {
      throw e;
    }
    const source = fs.readFileSync(clientPath, 'utf8');
    return await import('data:text/javascript;base64,' + Buffer.from(source).toString('base64'));
  }
}

/** TCP forwarder that can cut connections (drop/restore) and discard pushed publications (skip). */
class Proxy {
  constructor(targetHost, targetPort) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.refusing = false;
    this.toSkip = 0;
    this.pairs = new Set();
    this.server = net.createServer(client => this.accept(client));
  }

  listen() {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve(this.server.address().port));
    });
  }

  accept(client) {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    const pair = { client, upstream, mode: 'head', head: Buffer.alloc(0), frames: Buffer.alloc(0) };
    this.pairs.add(pair);
    const close = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.on('data', chunk => upstream.write(chunk));
    upstream.on('data', chunk => {
      const forward = this.filter(pair, chunk);
      if (forward.length > 0) {
        client.write(forward);
      }
    });
  }

  drop() {
    this.refusing = true;
    for (const pair of this.pairs) {
      // resetAndDestroy: an RST, like a dead route, rather than an orderly FIN.
      for (const socket of [pair.client, pair.upstream]) {
        try {
          socket.resetAndDestroy();
        } catch {
          socket.destroy();
        }
      }
    }
    this.pairs.clear();
  }

  restore() {
    this.refusing = false;
  }

  /** Server → client bytes. Passes everything through except publications to skip (WebSocket connections only). */
  filter(pair, chunk) {
    if (pair.mode === 'pass') {
      return chunk;
    }
    if (pair.mode === 'head') {
      pair.head = Buffer.concat([pair.head, chunk]);
      const end = pair.head.indexOf('\r\n\r\n');
      if (end < 0) {
        return Buffer.alloc(0);
      }
      const head = pair.head.subarray(0, end + 4);
      const rest = pair.head.subarray(end + 4);
      pair.head = null;
      if (!/^HTTP\/1\.1 101/.test(head.toString('latin1'))) {
        pair.mode = 'pass';
        return Buffer.concat([head, rest]);
      }
      pair.mode = 'ws';
      return Buffer.concat([head, this.frames(pair, rest)]);
    }
    return this.frames(pair, chunk);
  }

  frames(pair, chunk) {
    pair.frames = Buffer.concat([pair.frames, chunk]);
    const output = [];
    for (;;) {
      const buf = pair.frames;
      if (buf.length < 2) {
        break;
      }
      const fin = (buf[0] & 0x80) !== 0;
      const opcode = buf[0] & 0x0f;
      const masked = (buf[1] & 0x80) !== 0;
      let length = buf[1] & 0x7f;
      let headerLength = 2;
      if (length === 126) {
        if (buf.length < 4) {
          break;
        }
        length = buf.readUInt16BE(2);
        headerLength = 4;
      } else if (length === 127) {
        if (buf.length < 10) {
          break;
        }
        length = Number(buf.readBigUInt64BE(2));
        headerLength = 10;
      }
      if (masked) {
        headerLength += 4;
      }
      if (buf.length < headerLength + length) {
        break;
      }
      const frame = buf.subarray(0, headerLength + length);
      pair.frames = buf.subarray(headerLength + length);
      if (this.toSkip > 0 && fin && opcode === 0x1 && !masked) {
        output.push(this.withoutPublications(frame.subarray(headerLength)));
      } else {
        output.push(frame);
      }
    }
    return Buffer.concat(output);
  }

  withoutPublications(payload) {
    const records = payload.toString('utf8').split('\x1e').filter(r => r.length > 0);
    const kept = [];
    for (const record of records) {
      let message = null;
      try {
        message = JSON.parse(record);
      } catch {
        // not JSON: keep it
      }
      if (this.toSkip > 0 && message?.type === 1 && message.target === 'publication') {
        this.toSkip--;
        const p = message.arguments?.[0];
        out({ event: 'proxy', action: 'skipped', channel: p?.channel, offset: p?.offset });
        continue;
      }
      kept.push(record + '\x1e');
    }
    if (kept.length === 0) {
      return Buffer.alloc(0);
    }
    const body = Buffer.from(kept.join(''), 'utf8');
    let header;
    if (body.length < 126) {
      header = Buffer.from([0x81, body.length]);
    } else if (body.length < 65536) {
      header = Buffer.alloc(4);
      header[0] = 0x81;
      header[1] = 126;
      header.writeUInt16BE(body.length, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x81;
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(body.length), 2);
    }
    return Buffer.concat([header, body]);
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { createRealtimeClient } = await importClient();

  let url = args.url;
  let proxy = null;
  if (args.proxy) {
    const target = new URL(args.url);
    proxy = new Proxy(target.hostname, Number(target.port || 80));
    const port = await proxy.listen();
    target.host = `127.0.0.1:${port}`;
    url = target.toString();
  }
  out({ event: 'ready', proxyPort: proxy ? proxy.server.address().port : null });

  // SignalR's own log lines go to stderr: stdout carries only events.
  const logger = {
    log(level, message) {
      if (level >= signalR.LogLevel.Warning) {
        err(`[signalr ${level}] ${message}`);
      }
    },
  };

  const client = createRealtimeClient({
    url,
    signalR,
    accessTokenFactory: args.token ? () => args.token : undefined,
    logger,
    log: (level, message, error) => err(`[realtime-sync ${level}] ${message}`, level === 'debug' ? (error?.message ?? '') : (error ?? '')),
    skipNegotiation: args.skipNegotiation,
    ...(args.maxRetryMs ? { maxRetryDelayMs: args.maxRetryMs } : {}),
    ...(args.messagepack ? { protocol: 'messagepack', msgpack: require('@microsoft/signalr-protocol-msgpack') } : {}),
  });
  client.onStateChange(state => out({ event: 'state', state }));
  client.onError(e => out({ event: 'error', message: e?.message ?? String(e), channel: e?.channel }));

  let quitting = false;
  const quit = async code => {
    if (quitting) {
      return;
    }
    quitting = true;
    try {
      await Promise.race([client.stop(), new Promise(resolve => setTimeout(resolve, 2000))]);
    } finally {
      proxy?.server.close();
      process.exit(code);
    }
  };

  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', line => {
    const [command, argument] = line.trim().split(/\s+/);
    switch (command) {
      case '':
        break;
      case 'drop':
      case 'restore':
      case 'skip':
        if (!proxy) {
          out({ event: 'error', message: `${command} needs --proxy` });
        } else if (command === 'drop') {
          proxy.drop();
          out({ event: 'proxy', action: 'dropped' });
        } else if (command === 'restore') {
          proxy.restore();
          out({ event: 'proxy', action: 'restored' });
        } else {
          proxy.toSkip += Number(argument ?? 1);
          out({ event: 'proxy', action: 'skip', count: proxy.toSkip });
        }
        break;
      case 'quit':
        void quit(0);
        break;
      default:
        out({ event: 'error', message: `unknown command '${command}'` });
    }
  });
  // The test process went away: do not linger.
  lines.on('close', () => void quit(0));

  const started = client.start();
  await Promise.all(args.channels.map(async channel => {
    try {
      const subscription = await client.subscribe(channel, publication => out({ event: 'publication', ...publication }), {
        onResync: info => out({ event: 'resync', ...info }),
        onRecovered: info => out({ event: 'recovered', ...info }),
        onError: e => out({ event: 'error', message: e.message, channel }),
      });
      out({ event: 'subscribed', channel, ...subscription.position });
    } catch (e) {
      out({ event: 'error', message: e?.message ?? String(e), channel });
    }
  }));
  await started;
}

main().catch(e => {
  out({ event: 'error', message: e?.message ?? String(e) });
  err(e);
  process.exit(2);
});
