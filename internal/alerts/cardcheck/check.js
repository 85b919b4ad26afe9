// Reads a Teams webhook payload (a message with Adaptive Card attachments) on stdin and checks
// every card with Microsoft's adaptivecards library: the envelope, then each card parsed with
// its parse events (unknown elements, bad values) and validated (validateProperties), then
// every object's properties against the library's schema of its type (getSchema(): a
// misspelled property, which the parse ignores, is refused) and the properties the Adaptive
// Card schema requires (a card's version; a fact's title and value). Prints "ok" or one
// problem per line and exits 1.
const AC = require("adaptivecards");

const input = require("fs").readFileSync(0, "utf8");
const problems = [];
let msg;
try {
  msg = JSON.parse(input);
} catch (e) {
  console.log("not JSON: " + e.message);
  process.exit(1);
}
if (msg.type !== "message") problems.push(`type is ${JSON.stringify(msg.type)}, not "message"`);
if (!Array.isArray(msg.attachments) || msg.attachments.length === 0) problems.push("no attachments");
for (const [i, a] of (msg.attachments || []).entries()) {
  if (a.contentType !== "application/vnd.microsoft.card.adaptive") problems.push(`attachment ${i}: contentType ${a.contentType}`);
  const json = a.content || {};
  if (json.type !== "AdaptiveCard") problems.push(`attachment ${i}: content type ${json.type}`);
  const card = new AC.AdaptiveCard();
  const ctx = new AC.SerializationContext();
  card.parse(json, ctx);
  for (let k = 0; k < ctx.eventCount; k++) {
    const ev = ctx.getEventAt(k);
    problems.push(`attachment ${i}: parse: ${AC.ValidationEvent[ev.event] || ev.event}: ${ev.message}`);
  }
  const results = card.validateProperties();
  for (const e of results.validationEvents) {
    problems.push(`attachment ${i}: validate: ${AC.ValidationEvent[e.event] || e.event}: ${e.message}`);
  }
  if (card.getItemCount() === 0) problems.push(`attachment ${i}: the card has no elements`);
  if (typeof json.version !== "string") problems.push(`attachment ${i}: the card has no version`);
  checkProperties(`attachment ${i}`, json, card, ["body", "actions"]);
  for (let k = 0; k < card.getItemCount(); k++) {
    const el = card.getItemAt(k), ej = (json.body || [])[k];
    checkProperties(`attachment ${i}: body[${k}] ${ej && ej.type}`, ej, el, []);
    if (el instanceof AC.FactSet) {
      (ej.facts || []).forEach((f, n) => {
        checkProperties(`attachment ${i}: body[${k}].facts[${n}]`, f, el.facts[n], []);
        for (const req of ["title", "value"]) {
          if (typeof f[req] !== "string") problems.push(`attachment ${i}: body[${k}].facts[${n}]: no ${req}`);
        }
      });
    }
  }
  for (let k = 0; k < card.getActionCount(); k++) {
    checkProperties(`attachment ${i}: actions[${k}]`, (json.actions || [])[k], card.getActionAt(k), []);
  }
}

// checkProperties refuses a property of json that obj's type does not have (its schema in the
// library, plus the collections the parse reads itself).
function checkProperties(where, json, obj, collections) {
  if (!json || !obj || typeof obj.getSchema !== "function") return;
  const schema = obj.getSchema();
  const known = new Set(collections);
  for (let n = 0; n < schema.getCount(); n++) known.add(schema.getItemAt(n).name);
  for (const key of Object.keys(json)) {
    if (!known.has(key)) problems.push(`${where}: unknown property ${JSON.stringify(key)}`);
  }
}
if (problems.length) {
  console.log(problems.join("\n"));
  process.exit(1);
}
console.log("ok");
