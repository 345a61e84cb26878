// Test-only OpenID provider: the real `oidc-provider` (discovery, authorization with PKCE,
// token, JWKS, userinfo), with clients and accounts from a JSON config read on stdin, a
// login form of its own that checks passwords, and one test control that rewrites the ID
// token of the next token response (POST /__test/next-id-token). It listens on 127.0.0.1
// only and must never run anywhere but in tests. See the README ("Tests: the local OpenID
// provider") and harness.py, which starts it.
//
//   node provider.js < config.json
//   config: {"port": 9123 (the issuer is then http://127.0.0.1:9123),
//            "clients": [{"client_id", "client_secret", "redirect_uris": [...],
//                         "token_endpoint_auth_method": "client_secret_basic" or "_post"}],
//            "accounts": [{"login", "password", "claims": {"sub", "email", "email_verified",
//                                                          "name", any other claim: "hd", "tid"}}]}

import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';

// oidc-provider 9 supports Node 22 and later and warns once on import under Node 20, which
// runs everything this harness uses (its tests run on it). Drop that one line
// so that any other warning stands out in the log.
const warn = console.warn;
console.warn = (...args) => {
  if (!String(args[0]).includes('Unsupported runtime')) warn(...args);
};
const { default: Provider, errors } = await import('oidc-provider');
// Its own in-memory store, created through the factory so that it does not warn either.
const { createMemoryAdapter } = await import('oidc-provider/lib/adapters/memory_adapter.js');
console.warn = warn;

const KID = 'test-signing-key';
const TAMPERS = new Set(['wrong_audience', 'other_key', 'expired', 'wrong_issuer', 'nonce']);
const EMAIL_CLAIMS = ['email', 'email_verified'];
const PROFILE_CLAIMS = ['name', 'given_name', 'family_name', 'preferred_username', 'locale'];

const config = JSON.parse(await readAll(process.stdin));
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = new Map(config.accounts.map((account) => [account.claims.sub, account]));

const signing = await generateKeyPair('RS256', { extractable: true });
const foreign = await generateKeyPair('RS256'); // signs "other_key" tokens; never published
let nextIdToken = null; // {tamper, claims} for the next token response, then cleared

const provider = new Provider(issuer, {
  adapter: createMemoryAdapter(),
  clients: config.clients,
  jwks: {
    keys: [{ ...(await exportJWK(signing.privateKey)), kid: KID, alg: 'RS256', use: 'sig' }],
  },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  pkce: { required: () => true },
  // Lifetimes in seconds, as the defaults but a short single sign-on session (a test run).
  ttl: { AccessToken: 3600, IdToken: 3600, Interaction: 3600, Session: 3600, Grant: 3600 },
  features: { devInteractions: { enabled: false } },
  // Scope-requested claims go into the ID token too, as Google and Entra do; claims that no
  // standard scope covers (hd, tid, ...) come with every ID token.
  conformIdTokenClaims: false,
  claims: {
    acr: null,
    auth_time: null,
    iss: null,
    sid: null,
    openid: ['sub', ...extraClaimNames()],
    email: EMAIL_CLAIMS,
    profile: PROFILE_CLAIMS,
  },
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    return account && { accountId: sub, claims: async () => ({ ...account.claims }) };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Sign-in error', `<h1>Sign-in error</h1>
      <p role="alert">${escape(out.error)}: ${escape(out.error_description ?? '')}</p>`);
  },
});

provider.use(testControl);
provider.use(interactions);

const server = createServer(provider.callback());
server.listen(config.port, '127.0.0.1'); // quiet when all is well: any output is news
process.on('SIGTERM', () => process.exit(0)); // nothing to keep: every state is in memory
// Should the test run die without stopping it, do not outlive it.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(0), 1000).unref();

function extraClaimNames() {
  const standard = new Set(['sub', ...EMAIL_CLAIMS, ...PROFILE_CLAIMS]);
  const names = config.accounts.flatMap((account) => Object.keys(account.claims));
  return [...new Set(names)].filter((name) => !standard.has(name));
}

// POST /__test/next-id-token {"tamper": one of TAMPERS or null, "claims": {...}} sets how the
// ID token of the next token response is rewritten; {} clears it. The token is decoded, the
// tamper's change and then `claims` are applied, and it is signed again with the provider's
// own key, or with a key that is not on the JWKS for "other_key" (the header still names the
// provider's key, so a client that checks the signature sees a bad signature).
async function testControl(ctx, next) {
  if (ctx.path === '/__test/next-id-token' && ctx.method === 'POST') {
    let tamper;
    let claims;
    try {
      ({ tamper = null, claims = {} } = JSON.parse((await readAll(ctx.req)) || '{}'));
    } catch {
      ctx.throw(400, 'the body must be JSON');
    }
    if (tamper !== null && !TAMPERS.has(tamper)) {
      ctx.throw(400, `tamper must be one of ${[...TAMPERS].join(', ')}, or null`);
    }
    nextIdToken = tamper === null && Object.keys(claims).length === 0 ? null : { tamper, claims };
    ctx.status = 204;
    return;
  }
  await next();
  if (ctx.oidc?.route === 'token' && ctx.status === 200 && ctx.body?.id_token && nextIdToken) {
    ctx.body = { ...ctx.body, id_token: await rewrite(ctx.body.id_token, nextIdToken) };
    nextIdToken = null;
  }
}

async function rewrite(idToken, { tamper, claims }) {
  const payload = decodeJwt(idToken);
  const header = decodeProtectedHeader(idToken);
  if (tamper === 'wrong_audience') {
    // azp still names the client: only a client that checks aud itself refuses the token
    // (authlib's CodeIDToken checks aud only when told to).
    payload.azp = payload.aud;
    payload.aud = 'another-client';
  }
  if (tamper === 'wrong_issuer') payload.iss = `${issuer}/other-tenant`;
  if (tamper === 'nonce') payload.nonce = 'not-the-nonce-that-was-sent';
  if (tamper === 'expired') {
    payload.iat -= 2 * 3600;
    payload.exp = payload.iat + 3600; // expired an hour ago, far beyond any clock leeway
  }
  Object.assign(payload, claims);
  const key = tamper === 'other_key' ? foreign.privateKey : signing.privateKey;
  return new SignJWT(payload).setProtectedHeader(header).sign(key);
}

// The end-user's pages: a login form (login and password, checked against the accounts),
// then consent (Continue, or Cancel for access_denied). Plain HTML forms, nothing external.
async function interactions(ctx, next) {
  const match = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/.exec(ctx.path);
  if (!match) return next();
  ctx.set('cache-control', 'no-store');
  try {
    const [, , action] = match;
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === 'GET' && !action) return await show(ctx, details);
    if (ctx.method !== 'POST' || !action) return next();
    const form = new URLSearchParams(await readAll(ctx.req));
    if (action === 'login') return await login(ctx, details, form);
    if (action === 'confirm') return await confirm(ctx, details);
    return await provider.interactionFinished(ctx.req, ctx.res, {
      error: 'access_denied',
      error_description: 'The user cancelled the sign-in',
    }, { mergeWithLastSubmission: false });
  } catch (error) {
    if (!(error instanceof errors.SessionNotFound)) throw error;
    ctx.status = error.status;
    ctx.type = 'html';
    ctx.body = page('Sign-in error', `<h1>Sign-in error</h1>
      <p role="alert">This sign-in has expired or was finished already. Start again.</p>`);
  }
}

async function show(ctx, { uid, prompt, params }, error = '', typed = params.login_hint ?? '') {
  const client = await provider.Client.find(params.client_id);
  const name = escape(client?.clientName ?? params.client_id);
  ctx.type = 'html';
  if (prompt.name === 'login') {
    ctx.body = page('Sign in', `<h1>Sign in</h1><p>to continue to ${name}</p>
      <form method="post" action="/interaction/${uid}/login">
        ${error && `<p role="alert" id="login-error">${escape(error)}</p>`}
        <p><label for="login">Email</label><br>
        <input id="login" name="login" type="text" autocomplete="username" required
          value="${escape(typed)}" ${error && 'aria-describedby="login-error"'}></p>
        <p><label for="password">Password</label><br>
        <input id="password" name="password" type="password" autocomplete="current-password"
          required></p>
        <p><button type="submit">Sign in</button></p>
      </form>`);
    return;
  }
  const scopes = (prompt.details.missingOIDCScope ?? []).map((name) => `<li>${escape(name)}</li>`);
  ctx.body = page('Allow access', `<h1>Allow access</h1>
    <p>${name} asks to know who you are:</p><ul>${scopes.join('')}</ul>
    <form method="post" action="/interaction/${uid}/confirm">
      <button type="submit">Continue</button>
      <button type="submit" formaction="/interaction/${uid}/abort">Cancel</button>
    </form>`);
}

async function login(ctx, details, form) {
  const typed = form.get('login') ?? '';
  const account = [...accounts.values()].find((candidate) => candidate.login === typed);
  if (details.prompt.name !== 'login' || !account || account.password !== form.get('password')) {
    ctx.status = 401;
    return show(ctx, details, 'Wrong email or password.', typed);
  }
  return provider.interactionFinished(ctx.req, ctx.res, {
    login: { accountId: account.claims.sub },
  }, { mergeWithLastSubmission: false });
}

async function confirm(ctx, { prompt: { name, details }, grantId, params, session }) {
  if (name !== 'consent') ctx.throw(400, 'no consent is asked for');
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  return provider.interactionFinished(ctx.req, ctx.res, {
    consent: { grantId: await grant.save() },
  }, { mergeWithLastSubmission: true });
}

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${title} · Test OpenID provider</title></head>
    <body style="font-family: sans-serif; max-width: 30rem; margin: 2rem auto; padding: 0 1rem">
    <main>${body}</main></body></html>`;
}

function escape(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
