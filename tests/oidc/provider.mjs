// A real OpenID provider on loopback for Lantern's OIDC sign-in tests (tests/auth/test_oidc_signin.py).
// Prints "READY <issuer>" when listening; exits when its stdin closes (the test process ended).
// POST /__rotate makes a new signing key current (the old one is still published), as a
// provider rotating its keys does; the ID tokens it issues afterwards carry the new kid.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const redirectUris = (process.env.OIDC_REDIRECT_URIS || 'http://127.0.0.1/signin/oidc').split(',');
const secret = process.env.OIDC_CLIENT_SECRET || 'lantern-test-secret';

// Accounts: any login is accepted by the development login form; these have groups.
// `where: 'userinfo'` puts the groups only in the userinfo response (never in the ID token), as
// many providers do.
const ACCOUNTS = {
  alice: { name: 'Alice Example', groups: ['lantern-cse-workers'] },
  morgan: { name: 'Morgan Example', groups: ['lantern-managers', 'lantern-cse-workers'] },
  nobody: { name: 'No Group', groups: ['canteen'] },
  robin: { name: 'Robin Example', groups: ['lantern-cse-workers'], where: 'userinfo' },
};

let generation = 0;
const keys = [];
function newKey() {
  generation += 1;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: `key-${generation}`, alg: 'RS256', use: 'sig' };
}

let current;
function build(issuer) {
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'lantern',
        client_secret: secret,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: 'other-app',
        client_secret: secret,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [...keys].reverse() }, // the newest key signs
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'groups'],
    conformIdTokenClaims: false, // the requested claims go in the ID token
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    ttl: { IdToken: 600, AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600 },
    async findAccount(ctx, id) {
      const account = ACCOUNTS[id] || { name: id, groups: [] };
      return {
        accountId: id,
        async claims(use) {
          const claims = { sub: id, name: account.name, preferred_username: id };
          if (account.where !== 'userinfo' || use === 'userinfo') claims.groups = account.groups;
          return claims;
        },
      };
    },
  });
  provider.proxy = false;
  return provider;
}

keys.push(newKey());
const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/__rotate') {
    keys.push(newKey());
    current = build(issuerUrl);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kid: keys[keys.length - 1].kid }));
    return;
  }
  current.callback()(req, res);
});
let issuerUrl;
server.listen(Number(process.env.OIDC_PORT || 0), '127.0.0.1', () => {
  issuerUrl = `http://127.0.0.1:${server.address().port}`;
  current = build(issuerUrl);
  process.stdout.write(`READY ${issuerUrl}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
