import { GraphQLJSON } from 'graphql-scalars';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { connectionType } from '@switchboard/kit';
import { AUTHOR_KINDS, CHANNELS, CONVERSATION_STATUSES, PRIORITIES } from '../../store/types';

const enumOf = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };

export const Channel = enumOf(CHANNELS);
registerEnumType(Channel, { name: 'Channel', description: 'Where a conversation happens.' });
export const ConversationStatus = enumOf(CONVERSATION_STATUSES);
registerEnumType(ConversationStatus, {
  name: 'ConversationStatus',
  valuesConfig: {
    BOT: { description: 'The assistant is answering.' },
    QUEUED: { description: 'Handed off: waiting for a human.' },
    ASSIGNED: { description: 'A human agent owns it.' },
    RESOLVED: { description: 'Done; a new customer message or reopenConversation brings it back.' },
    CLOSED: { description: 'Final.' },
  },
});
export const ConversationPriority = enumOf(PRIORITIES);
registerEnumType(ConversationPriority, { name: 'ConversationPriority' });
export const AuthorKind = enumOf(AUTHOR_KINDS);
registerEnumType(AuthorKind, { name: 'AuthorKind' });

@ObjectType({ description: 'The person on the other side of conversations.' })
export class ContactType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => String, { nullable: true })
  email!: string | null;

  @Field(() => String, { nullable: true })
  phone!: string | null;

  @Field(() => GraphQLJSON, { description: 'Their id on each channel, e.g. { "WHATSAPP": "+4930…" }.' })
  externalIds!: Record<string, string>;

  @Field()
  createdAt!: Date;

  @Field({ description: 'When its name, email or phone last changed (CRM sync: the later change wins).' })
  updatedAt!: Date;
}

@ObjectType('Attachment')
export class AttachmentType {
  @Field()
  name!: string;

  @Field()
  url!: string;

  @Field()
  mimeType!: string;

  @Field(() => Int, { description: 'Bytes.' })
  size!: number;
}

@ObjectType('Message', { description: 'One message in a conversation, from the customer, an agent, the bot or the system.' })
@Directive('@key(fields: "id")')
export class MessageType {
  @Field(() => ID)
  id!: string;

  @Field(() => AuthorKind)
  authorKind!: string;

  authorId!: string | null;
  conversationId!: string;
  tenantId!: string;

  @Field()
  text!: string;

  @Field(() => [AttachmentType])
  attachments!: AttachmentType[];

  @Field(() => GraphQLJSON)
  metadata!: Record<string, unknown>;

  @Field(() => String, { nullable: true, description: 'The key the sender gave; a retried send with it stores nothing new.' })
  idempotencyKey!: string | null;

  @Field()
  createdAt!: Date;
}

@ObjectType('ConversationRating', { description: 'The customer’s satisfaction rating of a conversation (CSAT).' })
export class ConversationRatingType {
  @Field(() => Int, { description: '1 (bad) to 5 (great).' })
  score!: number;

  @Field(() => String, { nullable: true })
  comment!: string | null;

  @Field(() => Date)
  ratedAt!: Date;
}

@ObjectType('Conversation', { description: 'A thread with one contact on one channel.' })
@Directive('@key(fields: "id")')
export class ConversationType {
  @Field(() => ID)
  id!: string;

  tenantId!: string;
  assigneeId!: string | null;

  @Field(() => Channel)
  channel!: string;

  @Field(() => ContactType)
  contact!: ContactType;

  @Field(() => ConversationStatus)
  status!: string;

  @Field(() => [String])
  tags!: string[];

  @Field(() => ConversationPriority)
  priority!: string;

  @Field()
  createdAt!: Date;

  @Field()
  lastMessageAt!: Date;

  @Field(() => Int, { description: 'Customer messages since an agent last marked it read.' })
  unreadCount!: number;

  @Field(() => Int, { description: 'Send it back as expectedVersion to refuse lost updates.' })
  version!: number;
}

@ObjectType('MessagePageInfo', { description: 'Where a page of messages begins and ends; page both ways.' })
export class BidirectionalPageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType()
export class MessageEdge {
  @Field()
  cursor!: string;

  @Field(() => MessageType)
  node!: MessageType;
}

@ObjectType({ description: 'Messages, oldest first within the page.' })
export class MessageConnection {
  @Field(() => [MessageEdge])
  edges!: MessageEdge[];

  @Field(() => [MessageType])
  nodes!: MessageType[];

  @Field(() => BidirectionalPageInfo)
  pageInfo!: BidirectionalPageInfo;

  @Field(() => Int)
  totalCount!: number;
}

/** Conversations, most recent activity first: the same Relay shape as every list in the graph. */
export const ConversationConnection = connectionType(ConversationType, 'Conversation');

@InputType()
export class ContactInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: 'Their id on the conversation’s channel.' })
  externalId?: string | null;
}

@InputType({ description: 'A contact on its own: fields left out stay as they are, null clears.' })
export class SaveContactInput {
  @Field(() => ID, { nullable: true, description: 'The contact to change; without it a new contact is created.' })
  id?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Without id: change the tenant’s (oldest) contact with this email if there is one, else create.' })
  matchEmail?: boolean | null;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the change was made (default now; at most 5 minutes ahead): applied only if the contact last changed before it, so the later of two changes wins.' })
  modifiedAt?: Date | null;
}

@ObjectType()
export class SaveContactPayload {
  @Field(() => ContactType)
  contact!: ContactType;

  @Field({ description: 'A new contact was created.' })
  created!: boolean;

  @Field({ description: 'False when nothing was written: no field differed, or the contact had changed after `modifiedAt` (it is answered as stored).' })
  applied!: boolean;
}

@InputType()
export class AttachmentInput {
  @Field()
  name!: string;

  @Field()
  url!: string;

  @Field()
  mimeType!: string;

  @Field(() => Int)
  size!: number;
}

@InputType()
export class StartConversationInput {
  @Field(() => Channel)
  channel!: string;

  @Field(() => ContactInput)
  contact!: ContactInput;

  @Field(() => String, { nullable: true, description: 'The customer’s first message, if any.' })
  text?: string | null;

  @Field(() => ConversationPriority, { nullable: true })
  priority?: string | null;

  @Field(() => [String], { nullable: true })
  tags?: string[] | null;
}

@InputType()
export class SendMessageInput {
  @Field(() => ID)
  conversationId!: string;

  @Field()
  text!: string;

  @Field(() => [AttachmentInput], { nullable: true })
  attachments?: AttachmentInput[] | null;

  @Field(() => GraphQLJSON, { nullable: true })
  metadata?: Record<string, unknown> | null;

  @Field(() => String, { nullable: true, description: 'Send the same key when retrying: the message is stored once.' })
  idempotencyKey?: string | null;

  @Field(() => AuthorKind, { nullable: true, description: 'API keys (channel connectors, the bot) send as CUSTOMER or BOT; people always send as AGENT.' })
  as?: string | null;
}

@InputType()
export class ConversationFilterInput {
  @Field(() => [ConversationStatus], { nullable: true })
  status?: string[] | null;

  @Field(() => [Channel], { nullable: true })
  channel?: string[] | null;

  @Field(() => ID, { nullable: true })
  assigneeId?: string | null;

  @Field(() => Boolean, { nullable: true })
  unassigned?: boolean | null;
}

@ObjectType()
export class SendMessagePayload {
  @Field(() => MessageType)
  message!: MessageType;

  @Field({ description: 'False when the idempotency key had already been used: nothing new was stored.' })
  created!: boolean;
}
