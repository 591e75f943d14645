import { keyStub } from '@switchboard/kit';

/** The tenants subgraph's User, as far as tickets knows it: its key, plus the fields tickets adds. */
export const User = keyStub('User');
export type User = InstanceType<typeof User>;
