/**
 * Preloaded into the provider host by bench/scale.ts (NODE_OPTIONS=--require):
 * counts what every pg client of the host sends — round trips (queries) and
 * statements (a simple-protocol text holding `a; b; c` counts three) — and
 * writes `{ "roundTrips": n, "statements": m }` to $PGSTRATA_BENCH_COUNTS
 * when sent SIGUSR2 (writing it on a timer cost the host ~0.4 ms of CPU per
 * resource, which the bench reports as the provider's). Required by a bench in process
 * (bench/read-cost.ts), it counts that process's clients: `counts` is exported.
 */
const fs = require("fs");
const { Client } = require("pg");

const file = process.env.PGSTRATA_BENCH_COUNTS;
const counts = { roundTrips: 0, statements: 0 };

const statementsIn = (text) => (/['"$]/.test(text) ? 1 : text.split(";").filter((s) => s.trim() !== "").length);

const query = Client.prototype.query;
Client.prototype.query = function (config, ...rest) {
  const text = typeof config === "string" ? config : config && config.text;
  if (typeof text === "string") {
    counts.roundTrips++;
    counts.statements += statementsIn(text);
  }
  return query.call(this, config, ...rest);
};

module.exports = { counts };

if (file) process.on("SIGUSR2", () => fs.writeFileSync(file, JSON.stringify(counts)));
