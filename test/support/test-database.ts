import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { testServices } from './environment';

export interface TestDatabase {
  name: string;
  drop(): Promise<void>;
}

async function adminConnection(): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: testServices.dbHost,
    port: testServices.dbPort,
    user: testServices.dbUser,
    password: testServices.dbPassword,
  });
}

/**
 * A database of its own for one test file, created with the server's default charset
 * (the migrations must make it utf8mb4) and dropped afterwards.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `e2e_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const connection = await adminConnection();
  try {
    await connection.query(`CREATE DATABASE \`${name}\``);
  } finally {
    await connection.end();
  }
  return {
    name,
    drop: async () => {
      const dropper = await adminConnection();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await dropper.end();
      }
    },
  };
}
