import { ROW_COUNT_CAP } from "./step";

/**
 * An int SQL expression: the rows of relation `relation` (an SQL expression
 * of type regclass, e.g. `c.oid::regclass`), exact up to
 * {@link ROW_COUNT_CAP}, counted by the server inside the statement that holds
 * it (`query_to_xml` runs the count), so that it costs no round trip of its
 * own and the relation need not exist when the statement is parsed; under a
 * `CASE`, only for the rows that reach it.
 */
export const cappedRowCount = (relation: string): string =>
  `(xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM (SELECT FROM %s LIMIT ${ROW_COUNT_CAP}) s', ${relation}), false, true, '')))[1]::text::int`;
