import { keyStub } from '@switchboard/kit';

/** The conversations subgraph's Conversation, as tickets knows it: its key, plus the tickets it led to. */
export const Conversation = keyStub('Conversation');
export type Conversation = InstanceType<typeof Conversation>;
