'use strict';
// A WebSocket app that closes its own sockets when deploy-agent retires its worker.
// It runs as is under deploy-agent (README: "WebSocket apps"); the test
// test/integration/examples/websocket-app.test.ts rolls it under load.
const http = require('node:http');
const { WebSocketServer } = require('ws');
const { drainWebSocketsOnShutdown } = require('deployctl/websocket-drain');

const version = process.env.APP_VERSION || 'dev';

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'x-app-version': version });
  res.end(`hello from ${version}\n`);
});

const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  ws.send(JSON.stringify({ type: 'hello', version }));
  ws.on('message', (data) => ws.send(data));
});

// On 'shutdown': stop accepting, then close every socket with 1012 (service restart),
// spread over app.wsCloseWindowMs, once the whole roll is over.
drainWebSocketsOnShutdown(wss, { servers: [server] });

server.listen(Number(process.env.PORT || 3000));
