import { keyStub, stubReferences } from '@switchboard/kit';

/** The tenants subgraph's User, as far as knowledge knows it: its key. */
export const User = keyStub('User');
export type User = InstanceType<typeof User>;

export const userReference = stubReferences('User');
