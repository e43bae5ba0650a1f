// A host Express 5 app with its own routes and the Bedrock gateway mounted at /bedrock, configured by a
// LiteLLM-style config.yaml. Its users call Bedrock through it with boto3, the AWS SDK or curl.
//
// Run it (after `npm run build`), with what examples/config.yaml reads from the environment:
//   AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... LITELLM_MASTER_KEY=sk-1234 node examples/express-app.mjs
// Optional: CONFIG=<another config.yaml> (default: examples/config.yaml), PORT=<port> (default 3000; 0 for any).
// Then: curl http://localhost:3000/bedrock/model/claude/converse -H 'Authorization: Bearer sk-1234' \
//         -H 'content-type: application/json' -d '{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}'
import express from 'express';
import { fileURLToPath } from 'node:url';
import { createBedrockPassthrough, loadConfig } from 'bedrock-passthrough';

const configPath = process.env.CONFIG ?? fileURLToPath(new URL('config.yaml', import.meta.url));
const port = Number(process.env.PORT ?? 3000);

// Throws a ConfigError listing every problem of the file; LiteLLM-only settings are reported here and ignored.
const config = loadConfig(configPath, { warn: (message) => console.warn(`config: ${message}`) });
const bedrock = createBedrockPassthrough(config);

const app = express();

// Mounted before any body parser: the gateway then forwards the exact bytes each client sent.
app.use('/bedrock', bedrock);

// The host's own routes, untouched by the gateway.
app.use(express.json());
app.get('/', (_req, res) => {
  res.json({ service: 'my-app', bedrockEndpoint: '/bedrock' });
});
app.post('/api/echo', (req, res) => {
  res.json({ youSent: req.body });
});

const server = app.listen(port, (error) => {
  if (error) throw error;
  console.log(`express-app listening on http://localhost:${server.address().port} (Bedrock at /bedrock)`);
});

// Stop taking connections, let requests in progress finish, then close the gateway's upstream connections.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => server.close(() => bedrock.close()));
}
