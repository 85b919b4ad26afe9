// Conformance of tenantdesk's simulated tenant, checked with Microsoft's own JavaScript
// libraries (@azure/identity, @microsoft/microsoft-graph-client): a second client that nobody
// here wrote, configured the way a real user points them at the simulator.
//
//   NODE_EXTRA_CA_CERTS=<ca_file> node conformance.js sim.json
//
// sim.json is the one JSON line `tenantdesk sim` prints. Every check prints "ok N - name" or
// "not ok N - name: why" (TAP); the exit code is 1 when any check failed. The script changes the
// simulator's throttling knob for one check and resets it; it changes no license.
"use strict";

const fs = require("node:fs");
const assert = require("node:assert/strict");
const { ClientSecretCredential, ClientCertificateCredential } = require("@azure/identity");
const { Client, ResponseType } = require("@microsoft/microsoft-graph-client");
const { TokenCredentialAuthenticationProvider } = require("@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials");

const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

const infoFile = process.argv[2];
if (!infoFile) {
  console.error("usage: node conformance.js <sim.json>  (the JSON line of `tenantdesk sim`)");
  process.exit(2);
}
const info = JSON.parse(fs.readFileSync(infoFile, "utf8"));
const graphURL = new URL(info.graph_url); // https://127.0.0.1:8443/v1.0

// What a JavaScript user sets to reach the simulator: its authority (no instance discovery,
// which would call login.microsoftonline.com) and, for Graph, its base URL and host, so the
// client sends the token there too. The simulator's CA comes in through NODE_EXTRA_CA_CERTS.
const credentialOptions = { authorityHost: info.authority_url, disableInstanceDiscovery: true };

function secretCredential(clientID, secret) {
  return new ClientSecretCredential(info.tenant_id, clientID, secret, credentialOptions);
}

function graphClient(credential) {
  return Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH_SCOPE] }),
    baseUrl: graphURL.origin + "/",
    defaultVersion: graphURL.pathname.replace(/^\//, "") || "v1.0",
    customHosts: new Set([graphURL.hostname]),
  });
}

const full = graphClient(secretCredential(info.client_id, info.client_secret));
const licenseOnly = graphClient(secretCredential(info.licenseonly_client_id, info.licenseonly_client_secret));
const readOnly = graphClient(secretCredential(info.readonly_client_id, info.readonly_client_secret));

// roles decodes the roles claim of an access token.
function roles(token) {
  const payload = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
  return payload.roles || [];
}

// control calls the simulator's own API (scenarios, knobs), outside Graph.
async function control(method, path, body) {
  const res = await fetch(info.control_url + path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.equal(res.status, 200, `control ${method} ${path}: ${res.status}`);
  return res.json();
}

// refused runs a request that must fail and checks Graph's error shape: the status and code,
// a message, and innerError with request-id and date.
async function refused(what, request, status, code) {
  let err;
  try {
    await request();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${what}: succeeded, want ${status} ${code}`);
  assert.equal(err.statusCode, status, `${what}: status ${err.statusCode} (${err.message}), want ${status}`);
  assert.equal(err.code, code, `${what}: code ${err.code}, want ${code}`);
  assert.ok(typeof err.message === "string" && err.message.length > 0, `${what}: no message`);
  const body = JSON.parse(err.body);
  assert.ok(body.innerError && body.innerError["request-id"] && body.innerError.date, `${what}: innerError ${JSON.stringify(body.innerError)}`);
  return err;
}

const eventual = { ConsistencyLevel: "eventual" };
let scenarios;
let a1Member;

const checks = [
  ["token by client secret", async () => {
    const tok = await secretCredential(info.client_id, info.client_secret).getToken(GRAPH_SCOPE);
    assert.ok(tok && tok.token, "no token");
    assert.ok(roles(tok.token).includes("User.ReadWrite.All"), `full app roles ${roles(tok.token)}`);
  }],
  ["token by certificate", async () => {
    const cred = new ClientCertificateCredential(info.tenant_id, info.client_id, { certificatePath: info.client_cert_file }, credentialOptions);
    const tok = await cred.getToken(GRAPH_SCOPE);
    assert.ok(tok && tok.token, "no token");
    assert.ok(roles(tok.token).includes("LicenseAssignment.Read.All"), `certificate token roles ${roles(tok.token)}`);
  }],
  ["token for a resource the tenant does not have refused (AADSTS500011)", async () => {
    let err;
    try {
      await secretCredential(info.client_id, info.client_secret).getToken("https://management.azure.com/.default");
    } catch (e) {
      err = e;
    }
    assert.ok(err && /AADSTS500011/.test(err.message), `got ${err ? err.message : "a token"}`);
  }],
  ["subscribed SKUs", async () => {
    const res = await full.api("/subscribedSkus").get();
    assert.ok(Array.isArray(res.value) && res.value.length > 0, "no SKUs");
    for (const s of res.value) {
      assert.match(s.skuId, /^[0-9a-f-]{36}$/, `skuId ${s.skuId}`);
      assert.equal(typeof s.prepaidUnits.enabled, "number");
    }
  }],
  ["users paging to the end with $count equal", async () => {
    let page = await full.api("/users").headers(eventual).query({ $count: "true" }).select("id,userPrincipalName").top(25).get();
    const count = page["@odata.count"];
    assert.equal(typeof count, "number", "no @odata.count with ConsistencyLevel and $count=true");
    const ids = new Set();
    let pages = 0;
    for (;;) {
      pages++;
      for (const u of page.value) {
        assert.ok(!ids.has(u.id), `user ${u.id} on two pages`);
        ids.add(u.id);
      }
      const next = page["@odata.nextLink"];
      if (!next) break;
      assert.ok(next.startsWith(graphURL.origin + "/"), `nextLink ${next} leaves the simulator`);
      assert.ok(pages < 1000, "paging does not end");
      page = await full.api(next).headers(eventual).get();
    }
    assert.ok(pages > 1, `${ids.size} users in ${pages} page: paging not exercised`);
    assert.equal(ids.size, count, `${ids.size} users read in ${pages} pages, @odata.count says ${count}`);
    const raw = await full.api("/users/$count").headers(eventual).responseType(ResponseType.RAW).get();
    assert.equal(raw.status, 200, `/users/$count: ${raw.status}`);
    const text = (await raw.text()).trim();
    assert.equal(text, String(count), `/users/$count says ${text}`);
  }],
  ["/users/$count is text/plain and needs ConsistencyLevel", async () => {
    const raw = await full.api("/users/$count").headers(eventual).responseType(ResponseType.RAW).get();
    assert.match(raw.headers.get("content-type") || "", /^text\/plain/, `content-type ${raw.headers.get("content-type")}`);
    assert.match((await raw.text()).trim(), /^[0-9]+$/, "not a bare number");
    const err = await refused("/users/$count without ConsistencyLevel", () => full.api("/users/$count").get(), 400, "Request_BadRequest");
    assert.match(err.message, /\$count is not currently supported/, err.message);
  }],
  ["licensed groups by advanced query", async () => {
    const filter = "assignedLicenses/$count ne 0";
    let page = await full.api("/groups").headers(eventual).query({ $count: "true" }).filter(filter).select("id,assignedLicenses").top(999).get();
    const count = page["@odata.count"];
    let n = 0;
    for (;;) {
      for (const g of page.value) {
        assert.ok(Array.isArray(g.assignedLicenses) && g.assignedLicenses.length > 0, `group ${g.id} without licenses`);
        n++;
      }
      if (!page["@odata.nextLink"]) break;
      page = await full.api(page["@odata.nextLink"]).headers(eventual).get();
    }
    assert.ok(n > 0 && n === count, `${n} licensed groups, @odata.count ${count}`);
  }],
  ["licensed groups refused without ConsistencyLevel", async () => {
    const err = await refused("advanced query without ConsistencyLevel",
      () => full.api("/groups").query({ $count: "true" }).filter("assignedLicenses/$count ne 0").get(), 400, "Request_UnsupportedQuery");
    assert.match(err.message, /ConsistencyLevel/, err.message);
  }],
  ["hasMembersWithLicenseErrors without ConsistencyLevel", async () => {
    scenarios = await control("GET", "/scenarios");
    const res = await full.api("/groups").filter("hasMembersWithLicenseErrors eq true").select("id").top(999).get();
    const ids = res.value.map((g) => g.id);
    assert.ok(ids.includes(scenarios.a1_group), `the A1 group ${scenarios.a1_group} is not among ${ids.length} groups with errors`);
  }],
  ["hasMembersWithLicenseErrors refused with ConsistencyLevel", async () => {
    await refused("hasMembersWithLicenseErrors with ConsistencyLevel",
      () => full.api("/groups").headers(eventual).query({ $count: "true" }).filter("hasMembersWithLicenseErrors eq true").get(), 400, "Request_UnsupportedQuery");
  }],
  ["$batch with a 429 inside", async () => {
    scenarios = scenarios || (await control("GET", "/scenarios"));
    const requests = [1, 2, 3, 4].map((i) => ({ id: String(i), method: "GET", url: "/users?$top=1&$select=id" }));
    // Three requests per minute for this app: the $batch itself and two parts pass.
    await control("POST", "/knobs", { throttle_requests: 3, throttle_window_ms: 60000 });
    let res;
    try {
      res = await full.api("/$batch").post({ requests });
    } finally {
      await control("POST", "/knobs", { throttle_requests: 0 });
    }
    const byStatus = (s) => res.responses.filter((r) => r.status === s);
    assert.equal(byStatus(200).length, 2, `statuses ${res.responses.map((r) => r.status)}`);
    assert.equal(byStatus(429).length, 2, `statuses ${res.responses.map((r) => r.status)}`);
    for (const r of byStatus(429)) {
      assert.ok(Number(r.headers["Retry-After"]) >= 1, `429 part without Retry-After: ${JSON.stringify(r.headers)}`);
      assert.equal(r.body.error.code, "TooManyRequests");
      assert.equal(r.body.error.innerError.code, "429", JSON.stringify(r.body.error.innerError));
      assert.equal(r.body.error.innerError.status, "429");
    }
    // The throttled parts again, once the limit is off: served.
    const again = await full.api("/$batch").post({ requests: byStatus(429).map((r) => requests[Number(r.id) - 1]) });
    assert.ok(again.responses.every((r) => r.status === 200), `retry statuses ${again.responses.map((r) => r.status)}`);
  }],
  ["reprocess with the full app", async () => {
    scenarios = scenarios || (await control("GET", "/scenarios"));
    const members = await full.api(`/groups/${scenarios.a1_group}/members/microsoft.graph.user`).select("id").get();
    a1Member = members.value[0].id;
    const u = await full.api(`/users/${a1Member}/reprocessLicenseAssignment`).post(null);
    assert.equal(u.id, a1Member, `answer for ${u.id}`);
  }],
  ["reprocess refused for the license-only app", async () => {
    await refused("license-only reprocess", () => licenseOnly.api(`/users/${a1Member}/reprocessLicenseAssignment`).post(null), 403, "Authorization_RequestDenied");
  }],
  ["template change with the license-only app", async () => {
    const body = { addLicenses: [{ skuId: scenarios.faculty_sku, disabledPlans: [] }], removeLicenses: [] };
    const g = await licenseOnly.api(`/groups/${scenarios.a1_group}/assignLicense`).post(body);
    assert.equal(g.id, scenarios.a1_group);
  }],
  ["reprocess refused for the read-only app", async () => {
    await refused("read-only reprocess", () => readOnly.api(`/users/${a1Member}/reprocessLicenseAssignment`).post(null), 403, "Authorization_RequestDenied");
  }],
  ["template change refused for the read-only app", async () => {
    await refused("read-only template change", () => readOnly.api(`/groups/${scenarios.a1_group}/assignLicense`)
      .post({ addLicenses: [], removeLicenses: [] }), 403, "Authorization_RequestDenied");
  }],
  ["bad token refused", async () => {
    const forged = Client.init({
      authProvider: (done) => done(null, "not-a-token"),
      baseUrl: graphURL.origin + "/",
      customHosts: new Set([graphURL.hostname]),
    });
    const err = await refused("forged token", () => forged.api("/users").get(), 401, "InvalidAuthenticationToken");
    const challenge = err.headers && err.headers.get("www-authenticate");
    assert.match(challenge || "", /^Bearer /, `WWW-Authenticate ${challenge}`);
  }],
];

(async () => {
  console.log(`1..${checks.length}`);
  let failed = 0;
  for (const [i, [name, run]] of checks.entries()) {
    try {
      await run();
      console.log(`ok ${i + 1} - ${name}`);
    } catch (e) {
      failed++;
      console.log(`not ok ${i + 1} - ${name}: ${String(e && e.message ? e.message : e).split("\n")[0]}`);
    }
  }
  if (failed > 0) {
    console.log(`# ${failed} of ${checks.length} checks failed`);
    process.exit(1);
  }
  console.log(`# all ${checks.length} checks passed`);
})();
