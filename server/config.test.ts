import path from 'node:path';
import { ConfigError, loadConfig } from './config';

describe('loading the settings', () => {
  it('uses calm defaults for a laptop', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '127.0.0.1',
      dataDir: path.resolve('./data'),
      baseUrl: 'http://localhost:3000',
      demoAccounts: true,
      trustProxy: false,
      logLevel: 'info',
    });
    expect(config.mongodbUri).toBeUndefined();
    expect(config.smtpUrl).toBeUndefined();
  });

  it('derives the base URL from the port and drops a trailing slash from BASE_URL', () => {
    expect(loadConfig({ PORT: '8080' }).baseUrl).toBe('http://localhost:8080');
    expect(loadConfig({ BASE_URL: 'https://learn.example.org/' }).baseUrl).toBe('https://learn.example.org');
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ MONGODB_URI: 'postgres://x' })).toThrow(/MONGODB_URI: must start with mongodb:\/\//);
    expect(() => loadConfig({ SMTP_URL: 'http://mail' })).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('refuses production without SESSION_SECRET, and never makes demo accounts there', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/SESSION_SECRET: must be set when NODE_ENV=production/);
    const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'a-long-enough-secret-value', DEMO_PASSWORD: 'demo-password' });
    expect(config.demoAccounts).toBe(false);
  });

  it('keeps compiled page templates whatever NODE_ENV says, unless TEMPLATE_CACHE=false (npm run dev)', () => {
    expect(loadConfig({}).templateCache).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development' }).templateCache).toBe(true);
    expect(loadConfig({ TEMPLATE_CACHE: 'false' }).templateCache).toBe(false);
    expect(() => loadConfig({ TEMPLATE_CACHE: 'sometimes' })).toThrow(/TEMPLATE_CACHE: must be true or false/);
  });

  it('treats empty variables as not set', () => {
    const config = loadConfig({ MONGODB_URI: '', SMTP_URL: '  ', DEMO_PASSWORD: '' });
    expect(config.mongodbUri).toBeUndefined();
    expect(config.smtpUrl).toBeUndefined();
    expect(config.demoPassword).toBeUndefined();
  });

  it('reads TRUST_PROXY as a boolean, a hop count or a list', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).trustProxy).toBe('loopback');
  });
});
