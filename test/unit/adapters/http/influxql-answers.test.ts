/** The InfluxQL that `/query` answers (CREATE DATABASE, SHOW DATABASES) and how it refuses the rest. */
import { describe, expect, it } from 'vitest';
import { answerInfluxQL } from '../../../../src/adapters/http/influx-compat-routes.ts';
import { VigilError } from '../../../../src/core/errors.ts';

function refusal(q: string): VigilError {
  try {
    answerInfluxQL(q);
  } catch (err) {
    expect(err).toBeInstanceOf(VigilError);
    return err as VigilError;
  }
  throw new Error(`${q} was answered`);
}

describe('answerInfluxQL', () => {
  it('answers CREATE DATABASE (quoted, with a policy clause, any case) and SHOW DATABASES, one result per statement', () => {
    expect(answerInfluxQL('CREATE DATABASE "telegraf"')).toEqual([{ statement_id: 0 }]);
    expect(answerInfluxQL('create database metrics WITH DURATION 30d')).toEqual([{ statement_id: 0 }]);
    expect(answerInfluxQL('CREATE DATABASE "a;b"; show databases;')).toEqual([
      { statement_id: 0 },
      { statement_id: 1, series: [{ name: 'databases', columns: ['name'], values: [['vigil']] }] },
    ]);
  });

  it('refuses other statements naming which, an empty q and an overlong one, all on field q', () => {
    const select = refusal('CREATE DATABASE x; SELECT * FROM cpu');
    expect(select.message).toContain('statement 2 ("SELECT * FROM cpu")');
    expect(select.toJSON()).toMatchObject({ code: 'VIGIL_ERR_BAD_REQUEST', field: 'q' });
    expect(refusal(' ; ').message).toContain('q is empty');
    expect(refusal(`CREATE DATABASE ${'x'.repeat(5000)}`).message).toContain('longer than 4096');
    expect(refusal('DROP DATABASE telegraf').message).toContain('not supported');
  });
});
