import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The tenants subgraph's User, as far as tickets knows it: its key, plus the fields tickets adds. */
@ObjectType()
@Directive('@key(fields: "id")')
export class User {
  @Field(() => ID)
  id!: string;
}
