import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The tenants subgraph's User, as conversations knows it: its key. */
@ObjectType()
@Directive('@key(fields: "id")')
export class User {
  @Field(() => ID)
  id!: string;
}
