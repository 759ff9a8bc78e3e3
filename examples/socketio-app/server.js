'use strict';
// An unmodified socket.io app: no adapter, no @socket.io/sticky. Under deploy-agent
// with app.schedulingPolicy "sticky" it runs on every worker (README: "socket.io and
// sticky sessions"); test/integration/examples/socketio-app.test.ts rolls it under load.
const http = require('node:http');
const { Server } = require('socket.io');

const version = process.env.APP_VERSION || 'dev';

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'x-app-version': version });
  res.end(`hello from ${version}\n`);
});

const io = new Server(server);
io.on('connection', (socket) => {
  socket.emit('hello', { version });
  socket.on('echo', (n, ack) => {
    if (typeof ack === 'function') ack({ n, version });
  });
});

server.listen(Number(process.env.PORT || 3000));
