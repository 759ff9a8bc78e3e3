'use strict';
// The example app deployctl ships: HTTP + WebSocket, no dependency on deployctl.
// It listens on PORT; the agent runs it under node:cluster and replaces it without
// dropping a request. Replies say which release served them (APP_VERSION).
const http = require('node:http');
const { WebSocketServer } = require('ws');

const version = process.env.APP_VERSION || 'dev';
const port = Number(process.env.PORT || 3000);

const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok');
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'x-app-version': version });
  res.end(`hello from ${version}\n`);
});

const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  ws.send(JSON.stringify({ type: 'hello', version, pid: process.pid }));
  ws.on('message', (data) => ws.send(data));
  ws.on('error', () => undefined);
});

// Simulated start-up work (loading config, warming caches).
setTimeout(() => server.listen(port), Number(process.env.BOOT_MS || 200));
