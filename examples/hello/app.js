// The bundled example: an HTTP app that reports its code version, so you can see a save go live.
// Edit VERSION (or anything) and save: `npm run demo` reloads the workers with no request dropped.
const http = require('node:http');

const VERSION = 1;

const server = http.createServer((req, res) => {
  // A few milliseconds of async work, like a real handler that awaits a database.
  setTimeout(() => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><html><head><title>Hello</title><link rel="stylesheet" href="/style.css"></head>` +
      `<body><h1>Hello from version ${VERSION}</h1><p>pid ${process.pid}</p></body></html>\n`);
  }, 5);
});

// The port is only a default: under Smooth Reload each worker gets a private port.
server.listen(Number(process.env.PORT) || 3000);
