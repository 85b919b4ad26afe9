// Reads a Teams webhook payload (a message with Adaptive Card attachments) on stdin and checks
// every card with Microsoft's adaptivecards library: the envelope, then each card parsed with
// its parse events (unknown elements, bad values) and validated (validateProperties). Prints
// "ok" or one problem per line and exits 1.
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
}
if (problems.length) {
  console.log(problems.join("\n"));
  process.exit(1);
}
console.log("ok");
