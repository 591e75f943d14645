/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "subscription TicketUpdated($id: ID!) {\n  ticketUpdated(id: $id) {\n    ...TicketSummary\n  }\n}": typeof types.TicketUpdatedDocument,
    "query TenantInfo {\n  tenant {\n    id\n    slug\n    name\n    plan\n    status\n    quotas {\n      requestsPerMinute\n      monthlyTokenBudget\n      seats\n    }\n  }\n}": typeof types.TenantInfoDocument,
    "query TicketsPage($filter: TicketFilter, $first: Int = 20, $after: String) {\n  tickets(filter: $filter, first: $first, after: $after) {\n    totalCount\n    nodes {\n      ...TicketSummary\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery TicketById($id: ID!) {\n  ticket(id: $id) {\n    ...TicketSummary\n    description\n    comments {\n      body\n      createdAt\n    }\n  }\n}\n\nquery TicketActivity($id: ID!, $first: Int = 20, $afterComment: ID, $afterChange: ID) {\n  ticket(id: $id) {\n    id\n    number\n    comments(first: $first, after: $afterComment) {\n      id\n      body\n      internal\n      createdAt\n    }\n    history(first: $first, after: $afterChange) {\n      id\n      field\n      from\n      to\n      actorKind\n      createdAt\n    }\n  }\n}\n\nquery TicketCounts {\n  ticketCounts {\n    status\n    count\n  }\n}\n\nmutation CreateTicket($input: CreateTicketInput!) {\n  createTicket(input: $input) {\n    ...TicketSummary\n  }\n}\n\nmutation ReplyToTicket($id: ID!, $body: String!) {\n  addTicketComment(id: $id, body: $body, internal: false) {\n    id\n    version\n  }\n}\n\nfragment TicketSummary on Ticket {\n  id\n  number\n  subject\n  status\n  priority\n  category\n  tags\n  requester {\n    name\n    email\n  }\n  createdAt\n  updatedAt\n  sla {\n    state\n    firstResponseDueAt\n    resolutionDueAt\n  }\n}": typeof types.TicketsPageDocument,
    "query UsersPage($first: Int = 20, $after: String) {\n  users(first: $first, after: $after) {\n    totalCount\n    nodes {\n      ...UserSummary\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery UserById($id: ID!) {\n  user(id: $id) {\n    ...UserSummary\n    createdAt\n  }\n}\n\nfragment UserSummary on User {\n  id\n  email\n  name\n  role\n  skills\n}": typeof types.UsersPageDocument,
};
const documents: Documents = {
    "subscription TicketUpdated($id: ID!) {\n  ticketUpdated(id: $id) {\n    ...TicketSummary\n  }\n}": types.TicketUpdatedDocument,
    "query TenantInfo {\n  tenant {\n    id\n    slug\n    name\n    plan\n    status\n    quotas {\n      requestsPerMinute\n      monthlyTokenBudget\n      seats\n    }\n  }\n}": types.TenantInfoDocument,
    "query TicketsPage($filter: TicketFilter, $first: Int = 20, $after: String) {\n  tickets(filter: $filter, first: $first, after: $after) {\n    totalCount\n    nodes {\n      ...TicketSummary\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery TicketById($id: ID!) {\n  ticket(id: $id) {\n    ...TicketSummary\n    description\n    comments {\n      body\n      createdAt\n    }\n  }\n}\n\nquery TicketActivity($id: ID!, $first: Int = 20, $afterComment: ID, $afterChange: ID) {\n  ticket(id: $id) {\n    id\n    number\n    comments(first: $first, after: $afterComment) {\n      id\n      body\n      internal\n      createdAt\n    }\n    history(first: $first, after: $afterChange) {\n      id\n      field\n      from\n      to\n      actorKind\n      createdAt\n    }\n  }\n}\n\nquery TicketCounts {\n  ticketCounts {\n    status\n    count\n  }\n}\n\nmutation CreateTicket($input: CreateTicketInput!) {\n  createTicket(input: $input) {\n    ...TicketSummary\n  }\n}\n\nmutation ReplyToTicket($id: ID!, $body: String!) {\n  addTicketComment(id: $id, body: $body, internal: false) {\n    id\n    version\n  }\n}\n\nfragment TicketSummary on Ticket {\n  id\n  number\n  subject\n  status\n  priority\n  category\n  tags\n  requester {\n    name\n    email\n  }\n  createdAt\n  updatedAt\n  sla {\n    state\n    firstResponseDueAt\n    resolutionDueAt\n  }\n}": types.TicketsPageDocument,
    "query UsersPage($first: Int = 20, $after: String) {\n  users(first: $first, after: $after) {\n    totalCount\n    nodes {\n      ...UserSummary\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery UserById($id: ID!) {\n  user(id: $id) {\n    ...UserSummary\n    createdAt\n  }\n}\n\nfragment UserSummary on User {\n  id\n  email\n  name\n  role\n  skills\n}": types.UsersPageDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription TicketUpdated($id: ID!) {\n  ticketUpdated(id: $id) {\n    ...TicketSummary\n  }\n}"): (typeof documents)["subscription TicketUpdated($id: ID!) {\n  ticketUpdated(id: $id) {\n    ...TicketSummary\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query TenantInfo {\n  tenant {\n    id\n    slug\n    name\n    plan\n    status\n    quotas {\n      requestsPerMinute\n      monthlyTokenBudget\n      seats\n    }\n  }\n}"): (typeof documents)["query TenantInfo {\n  tenant {\n    id\n    slug\n    name\n    plan\n    status\n    quotas {\n      requestsPerMinute\n      monthlyTokenBudget\n      seats\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query TicketsPage($filter: TicketFilter, $first: Int = 20, $after: String) {\n  tickets(filter: $filter, first: $first, after: $after) {\n    totalCount\n    nodes {\n      ...TicketSummary\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery TicketById($id: ID!) {\n  ticket(id: $id) {\n    ...TicketSummary\n    description\n    comments {\n      body\n      createdAt\n    }\n  }\n}\n\nquery TicketActivity($id: ID!, $first: Int = 20, $afterComment: ID, $afterChange: ID) {\n  ticket(id: $id) {\n    id\n    number\n    comments(first: $first, after: $afterComment) {\n      id\n      body\n      internal\n      createdAt\n    }\n    history(first: $first, after: $afterChange) {\n      id\n      field\n      from\n      to\n      actorKind\n      createdAt\n    }\n  }\n}\n\nquery TicketCounts {\n  ticketCounts {\n    status\n    count\n  }\n}\n\nmutation CreateTicket($input: CreateTicketInput!) {\n  createTicket(input: $input) {\n    ...TicketSummary\n  }\n}\n\nmutation ReplyToTicket($id: ID!, $body: String!) {\n  addTicketComment(id: $id, body: $body, internal: false) {\n    id\n    version\n  }\n}\n\nfragment TicketSummary on Ticket {\n  id\n  number\n  subject\n  status\n  priority\n  category\n  tags\n  requester {\n    name\n    email\n  }\n  createdAt\n  updatedAt\n  sla {\n    state\n    firstResponseDueAt\n    resolutionDueAt\n  }\n}"): (typeof documents)["query TicketsPage($filter: TicketFilter, $first: Int = 20, $after: String) {\n  tickets(filter: $filter, first: $first, after: $after) {\n    totalCount\n    nodes {\n      ...TicketSummary\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery TicketById($id: ID!) {\n  ticket(id: $id) {\n    ...TicketSummary\n    description\n    comments {\n      body\n      createdAt\n    }\n  }\n}\n\nquery TicketActivity($id: ID!, $first: Int = 20, $afterComment: ID, $afterChange: ID) {\n  ticket(id: $id) {\n    id\n    number\n    comments(first: $first, after: $afterComment) {\n      id\n      body\n      internal\n      createdAt\n    }\n    history(first: $first, after: $afterChange) {\n      id\n      field\n      from\n      to\n      actorKind\n      createdAt\n    }\n  }\n}\n\nquery TicketCounts {\n  ticketCounts {\n    status\n    count\n  }\n}\n\nmutation CreateTicket($input: CreateTicketInput!) {\n  createTicket(input: $input) {\n    ...TicketSummary\n  }\n}\n\nmutation ReplyToTicket($id: ID!, $body: String!) {\n  addTicketComment(id: $id, body: $body, internal: false) {\n    id\n    version\n  }\n}\n\nfragment TicketSummary on Ticket {\n  id\n  number\n  subject\n  status\n  priority\n  category\n  tags\n  requester {\n    name\n    email\n  }\n  createdAt\n  updatedAt\n  sla {\n    state\n    firstResponseDueAt\n    resolutionDueAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query UsersPage($first: Int = 20, $after: String) {\n  users(first: $first, after: $after) {\n    totalCount\n    nodes {\n      ...UserSummary\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery UserById($id: ID!) {\n  user(id: $id) {\n    ...UserSummary\n    createdAt\n  }\n}\n\nfragment UserSummary on User {\n  id\n  email\n  name\n  role\n  skills\n}"): (typeof documents)["query UsersPage($first: Int = 20, $after: String) {\n  users(first: $first, after: $after) {\n    totalCount\n    nodes {\n      ...UserSummary\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery UserById($id: ID!) {\n  user(id: $id) {\n    ...UserSummary\n    createdAt\n  }\n}\n\nfragment UserSummary on User {\n  id\n  email\n  name\n  role\n  skills\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;
