// The test host's web server: serves the host page (host.js bundled by esbuild at start) and
// proxies /mcp to oumi-mcp-server with its bearer token, as a chat host's backend would hold it.
// Env: MCP_URL (the server's /mcp URL), MCP_TOKEN_FILE. Prints `listening <port>` when ready.
import { readFileSync } from "node:fs";
import http from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const target = new URL(process.env.MCP_URL);
const token = readFileSync(process.env.MCP_TOKEN_FILE, "utf8").trim();
const built = await esbuild.build({
  entryPoints: [join(here, "host.js")],
  bundle: true,
  format: "iife",
  platform: "browser",
  write: false,
  logLevel: "error",
});
const files = {
  "/": ["text/html", readFileSync(join(here, "host.html"))],
  "/host.bundle.js": ["text/javascript", Buffer.from(built.outputFiles[0].contents)],
};

function proxy(req, res) {
  const headers = { ...req.headers, host: target.host, authorization: `Bearer ${token}` };
  delete headers.origin;
  delete headers.referer;
  const upstream = http.request(
    { hostname: target.hostname, port: target.port, path: target.pathname, method: req.method, headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", (err) => {
    res.writeHead(502, { "content-type": "text/plain" });
    res.end(String(err));
  });
  req.pipe(upstream);
}

const server = http.createServer((req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  if (path === "/mcp") return proxy(req, res);
  if (path === "/favicon.ico") {
    res.writeHead(204);
    return res.end();
  }
  const file = files[path];
  if (!file) {
    res.writeHead(404);
    return res.end();
  }
  res.writeHead(200, { "content-type": file[0], "cache-control": "no-store" });
  res.end(file[1]);
});
server.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
