import pg from 'pg';
import { migrate } from '../src/db/migrate.js';
import { pgSession } from '../src/db/client.js';
import { adminUrl, TEMPLATE_DB } from './helpers/pg-url.js';

/**
 * Migrates a template database once per test run; each test file clones it (CREATE DATABASE …
 * TEMPLATE), which takes ~100 ms instead of migrating again.
 */
export default async function setup() {
  const admin = new pg.Client({ connectionString: adminUrl() });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `The tests need PostgreSQL at ${adminUrl()} (set TEST_DATABASE_URL to change it): ${(err as Error).message}`,
    );
  }
  await admin.query(`drop database if exists ${TEMPLATE_DB} with (force)`);
  await admin.query(`create database ${TEMPLATE_DB}`);
  await admin.end();
  const client = new pg.Client({ connectionString: adminUrl(TEMPLATE_DB) });
  await client.connect();
  await migrate(pgSession(client));
  await client.end();
}
