import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The conversations subgraph's Conversation, as tickets knows it: its key, plus the tickets it led to. */
@ObjectType()
@Directive('@key(fields: "id")')
export class Conversation {
  @Field(() => ID)
  id!: string;
}
