/**
 * Preloaded into the provider host by bench/scale.ts (NODE_OPTIONS=--require):
 * counts what every pg client of the host sends — round trips (queries) and
 * statements (a simple-protocol text holding `a; b; c` counts three) — and
 * writes `{ "roundTrips": n, "statements": m }` to $PGSTRATA_BENCH_COUNTS
 * every 50 ms while it changes. Required by a bench in process
 * (bench/read-cost.ts), it counts that process's clients: `counts` is exported.
 */
const fs = require("fs");
const { Client } = require("pg");

const file = process.env.PGSTRATA_BENCH_COUNTS;
const counts = { roundTrips: 0, statements: 0 };
let dirty = false;

const statementsIn = (text) => (/['"$]/.test(text) ? 1 : text.split(";").filter((s) => s.trim() !== "").length);

const query = Client.prototype.query;
Client.prototype.query = function (config, ...rest) {
  const text = typeof config === "string" ? config : config && config.text;
  if (typeof text === "string") {
    counts.roundTrips++;
    counts.statements += statementsIn(text);
    dirty = true;
  }
  return query.call(this, config, ...rest);
};

module.exports = { counts };

if (file) setInterval(() => {
  if (!dirty) return;
  dirty = false;
  fs.writeFileSync(file, JSON.stringify(counts));
}, 50).unref();
