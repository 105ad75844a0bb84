// Token checks at the edge (njs 0.7, Debian's libnginx-mod-http-js).
//
// `verify` runs as the auth_request handler of every API route not on the public allow list: a
// request whose bearer token is missing, malformed, expired, for another issuer or audience, or not
// signed (RS256) by one of the auth service's keys is refused before any service is woken.
// Services still verify every token themselves: this is a shield, not the authority.
//
// The per-user rate limits are counted here too, once the token is verified, never before: nginx runs
// limit_req before auth_request, and only once a request (the address limits, counted in front of this
// check), so `verify` asks /_edge/user/<the route's set>, a request of its own that the server
// edge-limits counts under the verified subject ($edge_sub). A forged token names whom it likes; it is
// refused, and counted against the address it came from, never against the user it names.
//
// njs 0.7 keeps nothing between requests and its WebCrypto imports RSA keys only as SPKI, so the
// auth service publishes its keys as SPKI too (/.well-known/edge-keys.json) and this module keeps them
// in a small file per gateway (written atomically; every worker reads it). An unknown key id triggers a
// refetch, at most once every REFETCH_S seconds, so a stream of made-up key ids cannot flood auth.

import fs from 'fs';

const LEEWAY_S = 30;      // clock skew accepted on exp/nbf, as the services do
const MAX_AGE_S = 300;    // keys are refetched this often (a retired key leaves the JWKS)
const REFETCH_S = 10;     // an unknown kid refetches no more often than this
const TOKEN = /^Bearer +([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+) *$/i;

function json(part) {
    return JSON.parse(Buffer.from(part, 'base64url').toString());
}

function now() {
    return Math.floor(Date.now() / 1000);
}

function readKeys(path) {
    try {
        return JSON.parse(fs.readFileSync(path, 'utf8'));
    } catch (e) {
        return null;
    }
}

async function fetchKeys(r, path, old) {
    try {
        const reply = await r.subrequest('/_edge/keys');
        if (reply.status !== 200) {
            throw new Error('status ' + reply.status);
        }
        const keys = {};
        JSON.parse(reply.responseText).keys.forEach(function (k) {
            if (k.alg === 'RS256') {
                keys[k.kid] = k.spki;
            }
        });
        const doc = {fetched: now(), keys: keys};
        const tmp = path + '.' + process.pid;
        fs.writeFileSync(tmp, JSON.stringify(doc));
        fs.renameSync(tmp, path);
        return doc;
    } catch (e) {
        r.warn('edge: could not fetch the signing keys: ' + e);
        return old;
    }
}

async function keyFor(r, kid) {
    const path = r.variables.edge_keys_file;
    let doc = readKeys(path);
    const age = doc ? now() - doc.fetched : Infinity;
    if (age > MAX_AGE_S || (!(kid in doc.keys) && age > REFETCH_S)) {
        doc = await fetchKeys(r, path, doc);
    }
    if (!doc) {
        return undefined;  // auth unreachable and nothing known: see verify
    }
    return doc.keys[kid] || null;
}

function refuse(r, reason) {
    r.variables.edge_reason = reason;  // shared with the request: the access log shows it
    r.return(401);
}

// The verified subject's per-user buckets for this route ($edge_limits): false when one is empty.
async function withinUserLimits(r) {
    if (!r.variables.edge_limits) {
        return true;
    }
    let reply;
    try {
        reply = await r.subrequest('/_edge/user/' + r.variables.edge_limits);
    } catch (e) {
        reply = {status: 'error ' + e};
    }
    if (reply.status === 429) {
        return false;
    }
    if (reply.status !== 204) {
        // A protection, not the authority: a signed-in user is not refused because it could not count.
        r.warn('edge: per-user limits not counted: ' + reply.status);
    }
    return true;
}

// Public routes and requests without a token are answered by nginx before this runs.
async function verify(r) {
    const m = (r.headersIn.Authorization || '').match(TOKEN);
    if (!m) {
        refuse(r, 'no bearer token');
        return;
    }
    let header;
    let claims;
    try {
        header = json(m[1]);
        claims = json(m[2]);
    } catch (e) {
        refuse(r, 'malformed token');
        return;
    }
    if (header.alg !== 'RS256' || typeof header.kid !== 'string') {
        refuse(r, 'algorithm or key id not accepted');
        return;
    }
    const t = now();
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (typeof claims.exp !== 'number' || claims.exp + LEEWAY_S < t
        || (typeof claims.nbf === 'number' && claims.nbf - LEEWAY_S > t)
        || claims.iss !== r.variables.edge_issuer || aud.indexOf(r.variables.edge_audience) < 0
        || typeof claims.sub !== 'string') {
        refuse(r, 'expired or not for this system');
        return;
    }
    const spki = await keyFor(r, header.kid);
    if (spki === undefined) {
        // The auth service has never answered this gateway: let the service behind decide (it verifies
        // every token itself) rather than refuse every signed-in user. The subject stays unverified: an
        // unchecked token is limited by its address only.
        r.warn('edge: no signing keys known; token passed on unchecked');
        r.return(204);
        return;
    }
    if (spki === null) {
        refuse(r, 'unknown key id');
        return;
    }
    try {
        const key = await crypto.subtle.importKey(
            'spki', Buffer.from(spki, 'base64'),
            {name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256'}, false, ['verify']);
        const ok = await crypto.subtle.verify(
            {name: 'RSASSA-PKCS1-v1_5'}, key,
            Buffer.from(m[3], 'base64url'), m[1] + '.' + m[2]);
        if (!ok) {
            refuse(r, 'bad signature');
            return;
        }
    } catch (e) {
        refuse(r, 'bad signature');
        return;
    }
    r.variables.edge_sub = claims.sub;  // verified: the per-user limits count it under this name
    if (!(await withinUserLimits(r))) {
        r.variables.edge_reason = 'per-user rate limit';
        r.return(403);  // the route answers it as 429 problem+json (error_page 403 in its location)
        return;
    }
    r.return(204);
}

export default {verify};
