// The benchmark app: one HTTP handler with ~5 ms of async work (like awaiting a database) that
// answers with its code version. The bench copies this file into a temp project and a "save"
// rewrites the VERSION line, so every tool has to load the file again to serve the new number.
const http = require('node:http');

const VERSION = 1;

const server = http.createServer((req, res) => {
  setTimeout(() => {
    res.setHeader('Content-Type', 'text/plain');
    res.end(`v${VERSION} ${process.pid}\n`);
  }, 5);
});

// Peers get the port from PORT; under Smooth Reload each worker gets a private port anyway.
server.listen(Number(process.env.PORT) || 3000, '127.0.0.1');
