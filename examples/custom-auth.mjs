// A host app that decides itself who may call Bedrock: its own function looks up a team token (here in an
// in-memory map; in a real app, a database or an identity provider) and returns a Principal with the model
// groups that team may use. The config's master_key and keys are then not used.
//
// Run it (after `npm run build`), with what examples/config.yaml reads from the environment (the file names a
// master key, so LITELLM_MASTER_KEY must be set, though this app does not use it):
//   AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... LITELLM_MASTER_KEY=unused node examples/custom-auth.mjs
// Optional: CONFIG=<another config.yaml> (default: examples/config.yaml), PORT=<port> (default 3000; 0 for any).
// Then: curl http://localhost:3000/bedrock/model/claude/converse -H 'Authorization: Bearer team-red-token' \
//         -H 'content-type: application/json' -d '{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}'
//       curl http://localhost:3000/usage
import express from 'express';
import { fileURLToPath } from 'node:url';
import { GatewayError, createBedrockPassthrough, loadConfig } from 'bedrock-passthrough';

const configPath = process.env.CONFIG ?? fileURLToPath(new URL('config.yaml', import.meta.url));
const port = Number(process.env.PORT ?? 3000);

/** The host's own record of who may call what. */
const TEAMS = new Map([
  ['team-red-token', { team: 'red', models: ['claude'] }],
  ['team-blue-token', { team: 'blue', models: ['claude', 'nova'] }],
]);

/**
 * Turns a request into a Principal, or refuses it. The gateway calls it before anything goes upstream, then
 * refuses on its own a model group the principal may not use.
 * @param {import('bedrock-passthrough').InboundRequest} request
 * @returns {Promise<import('bedrock-passthrough').Principal>}
 */
async function authenticateTeam(request) {
  const token = request.headers.authorization?.replace(/^Bearer\s+/i, '');
  const entry = token === undefined ? undefined : TEAMS.get(token);
  // A GatewayError chooses what the client gets; any other error becomes a plain 403 AccessDeniedException.
  if (!entry) throw new GatewayError('AccessDeniedException', 'Send your team token as Authorization: Bearer <token>.');
  return { keyId: `team-${entry.team}`, keyName: `team ${entry.team}`, models: entry.models, metadata: { team: entry.team } };
}

/** Requests per caller, from the record the gateway makes of every request. */
const requestsByCaller = {};

// externalAuth: the config needs no client key of its own, since this app authenticates callers.
const config = loadConfig(configPath, { externalAuth: true, warn: (message) => console.warn(`config: ${message}`) });
const bedrock = createBedrockPassthrough({
  ...config,
  auth: authenticateTeam,
  costTracker: {
    record(usage) {
      const caller = usage.keyName ?? 'refused';
      requestsByCaller[caller] = (requestsByCaller[caller] ?? 0) + 1;
    },
  },
});

const app = express();
app.use('/bedrock', bedrock);
app.get('/usage', (_req, res) => {
  res.json(requestsByCaller);
});

const server = app.listen(port, (error) => {
  if (error) throw error;
  console.log(`custom-auth listening on http://localhost:${server.address().port} (Bedrock at /bedrock)`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => server.close(() => bedrock.close()));
}
