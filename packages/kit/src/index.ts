import 'reflect-metadata';

export * from './audit';
export * from './auth';
export * from './config';
export * from './context';
export * from './db';
export * from './embedded-postgres';
export * from './entity';
export * from './errors';
export * from './federation';
export * from './http';
export * from './identity';
export * from './logger';
export * from './metrics';
export * from './pagination';
export * from './redis';
export * from './server';
export * from './telemetry';
