import { Field, InputType, ObjectType } from 'type-graphql';
import { ApiKey, ApiKeyKind } from './api-key.entity';

@InputType()
export class CreateApiKeyInput {
  @Field()
  name!: string;

  @Field(() => ApiKeyKind, { defaultValue: ApiKeyKind.FIRST_PARTY })
  kind!: ApiKeyKind;

  @Field(() => [String], { description: 'What the key may do, e.g. `tickets:read`. See the ApiKey docs for the list.' })
  scopes!: string[];

  @Field(() => Date, { nullable: true, description: 'When the key stops working; never, if left out.' })
  expiresAt?: Date | null;
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => ApiKey)
  apiKey!: ApiKey;

  @Field({ description: 'The secret: shown this once, never again. Send it as the `x-api-key` header.' })
  secret!: string;
}
