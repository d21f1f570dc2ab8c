'use strict';
// The Socket.IO peer of the fan-out benchmark (bench/README.md): one Socket.IO 4.8 server on
// @socket.io/redis-adapter. The benchmark runs two of these on the same Redis.
//
//   PORT=5101 REDIS_URL=redis://127.0.0.1:6379 REDIS_KEY=bench-x node server.js
//
// Clients connect over WebSocket only (no polling upgrade), emit `subscribe` with a room name and an ack,
// and receive `publication` events. On the server the benchmark tells to publish (POST /publish), a timer
// loop emits to the room through the adapter at the requested rate, stamping each payload with its due
// time in microseconds of the monotonic clock (process.hrtime = CLOCK_MONOTONIC, the same clock as .NET's
// Stopwatch on Linux, checked through GET /clock), so latency counts from when the publication was due,
// exactly as for the product's publisher.
//
// Control endpoints (127.0.0.1 only): GET /health, GET /clock, POST /publish?step=&rate=&count=&start=&pad=.

const http = require('node:http');
const { Server } = require('socket.io');
const { createAdapter } = require('@socket.io/redis-adapter');
const { createClient } = require('redis');

const port = Number(process.env.PORT);
const redisUrl = process.env.REDIS_URL;
const key = process.env.REDIS_KEY || 'socket.io';
const room = 'bench';

if (!port || !redisUrl) {
  console.error('PORT and REDIS_URL are required');
  process.exit(2);
}

const control = (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (req.method === 'GET' && url.pathname === '/health') {
    return send(res, 200, { ok: true, clients: io.engine.clientsCount });
  }
  if (req.method === 'GET' && url.pathname === '/clock') {
    return send(res, 200, { nowUs: Number(process.hrtime.bigint() / 1000n) });
  }
  if (req.method === 'POST' && url.pathname === '/publish') {
    const step = Number(url.searchParams.get('step'));
    const rate = Number(url.searchParams.get('rate'));
    const count = Number(url.searchParams.get('count'));
    const start = BigInt(url.searchParams.get('start')); // µs
    const pad = 'x'.repeat(Number(url.searchParams.get('pad') || 0));
    if (!(rate > 0) || !(count > 0)) {
      return send(res, 400, { error: 'rate and count must be positive' });
    }
    publish(step, rate, count, start, pad);
    return send(res, 202, { scheduled: count });
  }
  return send(res, 404, { error: 'not found' });
};

const httpServer = http.createServer((req, res) => {
  // Socket.IO answers its own path; everything else is the control API.
  if (!req.url.startsWith('/socket.io/')) {
    control(req, res);
  }
});

const io = new Server(httpServer, {
  transports: ['websocket'],
  // The defaults, stated: no compression (the product sends uncompressed frames too), 25 s / 20 s heartbeat.
  perMessageDeflate: false,
  pingInterval: 25000,
  pingTimeout: 20000,
  serveClient: false,
});

io.on('connection', (socket) => {
  socket.on('subscribe', (name, ack) => {
    if (name !== room) {
      return typeof ack === 'function' && ack({ error: `unknown room ${name}` });
    }
    socket.join(room);
    if (typeof ack === 'function') {
      ack({ ok: true });
    }
  });
});

// Emits publication n of the step at start + n / rate (µs on the monotonic clock); a late timer emits
// every publication that is already due, stamped with its due time, so lateness shows in the latency.
function publish(step, rate, count, start, pad) {
  const interval = 1e6 / rate;
  const nowUs = () => process.hrtime.bigint() / 1000n;
  let n = 0;
  const due = (i) => start + BigInt(Math.round(i * interval));
  const tick = () => {
    const now = nowUs();
    while (n < count && due(n) <= now) {
      io.to(room).emit('publication', { s: step, n, t: Number(due(n)), pad });
      n++;
    }
    if (n < count) {
      setTimeout(tick, Math.max(0, Number(due(n) - nowUs()) / 1000));
    }
  };
  setTimeout(tick, Math.max(0, Number(due(0) - nowUs()) / 1000));
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function main() {
  const pubClient = createClient({ url: redisUrl });
  const subClient = pubClient.duplicate();
  for (const client of [pubClient, subClient]) {
    client.on('error', (e) => console.error(`redis: ${e.message}`));
  }
  await Promise.all([pubClient.connect(), subClient.connect()]);
  io.adapter(createAdapter(pubClient, subClient, { key }));
  httpServer.listen(port, '127.0.0.1', () => console.error(`socket.io server on 127.0.0.1:${port}`));

  const stop = () => {
    io.close();
    Promise.allSettled([pubClient.quit(), subClient.quit()]).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
