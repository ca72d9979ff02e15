// Demo web shop for one tenant: a page showing the tenant id, a visit counter and
// a list of items, all kept in the tenant's own Redis. Plain Node, no dependencies.
import http from 'node:http';
import { Redis } from './redis.js';

const TENANT = process.env.TENANT_ID || 'unknown';
const PORT = Number(process.env.PORT || 3000);
const db = new Redis({ host: process.env.DB_HOST || 'db', port: Number(process.env.DB_PORT || 6379) });
const VISITS = `shop:${TENANT}:visits`;
const ITEMS = `shop:${TENANT}:items`;
const MAX_BODY = 16 * 1024;
const MAX_NAME = 200;

const escapeHtml = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  res.end(body);
}

const sendJson = (res, status, data) => send(res, status, 'application/json', JSON.stringify(data));

function page(visits, items) {
  const list = items.map((i) => `      <li>${escapeHtml(i)}</li>`).join('\n');
  const t = escapeHtml(TENANT);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Shop ${t}</title></head>
<body data-tenant="${t}">
  <h1>Shop ${t}</h1>
  <p>Visits: <span id="visits">${visits}</span></p>
  <h2>Products</h2>
  <ul id="items">
${list}
  </ul>
  <form method="post" action="/items">
    <input name="name" maxlength="${MAX_NAME}" required placeholder="New product">
    <button type="submit">Add</button>
  </form>
</body>
</html>
`;
}

/** Reads a small request body; rejects (413) when it is larger than MAX_BODY. */
function readBody(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
      else reject(Object.assign(new Error(`request body larger than ${MAX_BODY} bytes`), { status: 413 }));
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The item name from a form or JSON body, trimmed; throws a 400 naming the bad value. */
function itemName(req, body) {
  const isJson = (req.headers['content-type'] || '').startsWith('application/json');
  let name;
  try {
    name = isJson ? JSON.parse(body).name : new URLSearchParams(body).get('name');
  } catch {
    throw Object.assign(new Error('body is not valid JSON'), { status: 400 });
  }
  name = typeof name === 'string' ? name.trim() : '';
  if (!name || name.length > MAX_NAME) {
    throw Object.assign(
      new Error(`item name must be 1-${MAX_NAME} characters, got ${JSON.stringify(name)}`),
      {
        status: 400,
      },
    );
  }
  return { name, isJson };
}

async function route(req, res) {
  const path = new URL(req.url, 'http://shop').pathname;
  if (req.method === 'GET' && path === '/healthz') {
    try {
      await db.command('PING');
      return sendJson(res, 200, { status: 'ok' });
    } catch (err) {
      return sendJson(res, 503, { status: 'unavailable', error: err.message });
    }
  }
  if (req.method === 'GET' && path === '/') {
    const visits = await db.command('INCR', VISITS);
    const items = await db.command('LRANGE', ITEMS, 0, -1);
    return send(res, 200, 'text/html; charset=utf-8', page(visits, items));
  }
  if (req.method === 'GET' && path === '/api/items') {
    return sendJson(res, 200, { tenant: TENANT, items: await db.command('LRANGE', ITEMS, 0, -1) });
  }
  if (req.method === 'POST' && path === '/items') {
    const { name, isJson } = itemName(req, await readBody(req));
    await db.command('RPUSH', ITEMS, name);
    if (isJson) return sendJson(res, 201, { name });
    return send(res, 303, 'text/plain', 'See /\n', { location: '/' });
  }
  sendJson(res, 404, { error: `no route ${req.method} ${path}` });
}

const server = http.createServer((req, res) => {
  route(req, res).catch((err) => {
    const status = err.status || 503;
    if (status >= 500) console.error(`${req.method} ${req.url}: ${err.message}`);
    if (!res.headersSent) sendJson(res, status, { error: err.message });
    else res.destroy();
  });
});

// As PID 1 in its container node gets no default signal handling: stop at once on
// SIGTERM/SIGINT so `docker stop` does not wait for its kill timeout.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    console.log(`shop ${TENANT}: ${signal}, stopping`);
    server.close();
    server.closeAllConnections();
    db.close();
    process.exit(0);
  });
}

server.listen(PORT, () => console.log(`shop ${TENANT} listening on :${PORT}`));
