import { keyStub } from '@switchboard/kit';

/** The tenants subgraph's User, as conversations knows it: its key. */
export const User = keyStub('User');
export type User = InstanceType<typeof User>;
