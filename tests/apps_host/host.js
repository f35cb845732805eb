// The host side of MCP Apps, as a chat client runs it: an MCP client to the server (through
// this harness's /mcp proxy, which adds the bearer token), the view's ui:// resource in a
// sandboxed iframe under the spec's default CSP, and the ext-apps AppBridge between the two.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  AppBridge,
  PostMessageTransport,
  RESOURCE_MIME_TYPE,
  getToolUiResourceUri,
} from "@modelcontextprotocol/ext-apps/app-bridge";

// The CSP the spec tells hosts to use when a resource declares no `_meta.ui.csp`.
const DEFAULT_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; media-src 'self' data:; connect-src 'none'";

const state = { calls: [], errors: [], sizes: [], messages: [] };
window.hostState = state;

async function connect() {
  const client = new Client(
    { name: "apps-test-host", version: "0.0.0" },
    {
      capabilities: {
        extensions: { "io.modelcontextprotocol/ui": { mimeTypes: [RESOURCE_MIME_TYPE] } },
      },
    },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", location.href)));
  return client;
}

function withCsp(html) {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${DEFAULT_CSP}">`;
  return /<head[^>]*>/i.test(html)
    ? html.replace(/<head[^>]*>/i, (head) => head + meta)
    : meta + html;
}

// Call `name` as the model would, then render its view with the answer, like a chat host.
// `proxyTools: false` is a host that lets no view call tools (it only shows the answer).
window.showTool = async (name, args, { proxyTools = true } = {}) => {
  const client = window.mcpClient ?? (window.mcpClient = await connect());
  const { tools } = await client.listTools();
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name}`);
  const uri = getToolUiResourceUri(tool);
  if (!uri) throw new Error(`${name} has no view`);
  const result = await client.callTool({ name, arguments: args });
  const resource = await client.readResource({ uri });
  const content = resource.contents[0];
  if (content.mimeType !== RESOURCE_MIME_TYPE) throw new Error(`mime ${content.mimeType}`);
  const readOnly = new Map(tools.map((t) => [t.name, t.annotations?.readOnlyHint === true]));

  const frame = document.createElement("iframe");
  frame.id = "view";
  frame.setAttribute("sandbox", "allow-scripts");
  document.getElementById("chat").replaceChildren(frame);
  const bridge = new AppBridge(
    client,
    { name: "apps-test-host", version: "0.0.0" },
    proxyTools ? { serverTools: {}, serverResources: {}, logging: {} } : { logging: {} },
    { hostContext: { theme: "light", displayMode: "inline" } },
  );
  bridge.onsizechange = ({ height }) => {
    state.sizes.push(height);
    if (height) frame.style.height = `${Math.min(height, 2000)}px`;
  };
  // ui/message: the view asks the chat; the assistant then acts under the usual approval.
  bridge.onmessage = async (params) => {
    state.messages.push(params);
    return {};
  };
  bridge.oninitialized = async () => {
    await bridge.sendToolInput({ arguments: args });
    await bridge.sendToolResult(result);
    state.initialized = true;
  };
  const transport = new PostMessageTransport(frame.contentWindow, frame.contentWindow);
  await bridge.connect(transport);
  // A real host applies its approval policy here: this one lets read-only tools through and
  // refuses the rest, recording every call so the test can check what the view asked for.
  const passOn = bridge.oncalltool;
  bridge.oncalltool = async (params, extra) => {
    state.calls.push(params.name);
    if (!proxyTools || !readOnly.get(params.name)) {
      state.errors.push(`refused ${params.name}`);
      return { isError: true, content: [{ type: "text", text: "not approved" }] };
    }
    return passOn(params, extra);
  };
  frame.srcdoc = withCsp(content.text);
  return { uri, bytes: content.text.length };
};
