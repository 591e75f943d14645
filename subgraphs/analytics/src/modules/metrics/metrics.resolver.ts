import { BadInputError, authorize, type Role } from '@switchboard/kit';
import { Arg, Ctx, Field, Float, ID, InputType, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql';
import type { AnalyticsContext } from '../../context';
import { LiveMetrics, computeLive } from './live';
import { MEASURES, buckets, queryMetrics, type DimensionName, type IntervalName, type MeasureName } from './query';

export enum Measure {
  CONVERSATIONS_STARTED = 'CONVERSATIONS_STARTED',
  CONVERSATIONS_RESOLVED = 'CONVERSATIONS_RESOLVED',
  FIRST_RESPONSE_P50_SECONDS = 'FIRST_RESPONSE_P50_SECONDS',
  FIRST_RESPONSE_P90_SECONDS = 'FIRST_RESPONSE_P90_SECONDS',
  RESOLUTION_P50_SECONDS = 'RESOLUTION_P50_SECONDS',
  TICKETS_CREATED = 'TICKETS_CREATED',
  TICKETS_RESOLVED = 'TICKETS_RESOLVED',
  SLA_COMPLIANCE = 'SLA_COMPLIANCE',
  SLA_BREACHES = 'SLA_BREACHES',
  BACKLOG = 'BACKLOG',
  CSAT = 'CSAT',
  BOT_CONTAINMENT = 'BOT_CONTAINMENT',
  HANDOFF_RATE = 'HANDOFF_RATE',
  AI_TOKENS = 'AI_TOKENS',
  AI_COST_USD = 'AI_COST_USD',
  COST_PER_RESOLVED_CONVERSATION = 'COST_PER_RESOLVED_CONVERSATION',
}
registerEnumType(Measure, { name: 'Measure', description: 'What a metric point measures; docs/api.md defines each exactly.' });

export enum MetricInterval {
  HOUR = 'HOUR',
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
}
registerEnumType(MetricInterval, { name: 'MetricInterval', description: 'Bucket size, in UTC (weeks start on Monday).' });

export enum MetricDimension {
  CHANNEL = 'CHANNEL',
  AGENT = 'AGENT',
  ASSISTANT = 'ASSISTANT',
  MODEL = 'MODEL',
  PRIORITY = 'PRIORITY',
}
registerEnumType(MetricDimension, { name: 'MetricDimension', description: 'What metric points can be grouped and filtered by.' });

@InputType({ description: 'Only points whose dimension is one of the given values (each list optional).' })
export class MetricsFilter {
  @Field(() => [String], { nullable: true })
  channels?: string[] | null;
  @Field(() => [ID], { nullable: true })
  agents?: string[] | null;
  @Field(() => [ID], { nullable: true })
  assistants?: string[] | null;
  @Field(() => [String], { nullable: true })
  models?: string[] | null;
  @Field(() => [String], { nullable: true })
  priorities?: string[] | null;
}

@InputType()
export class MetricsInput {
  @Field(() => Date, { description: 'Start, inclusive; rounded down to the start of its bucket.' })
  from!: Date;
  @Field(() => Date, { description: 'End, exclusive.' })
  to!: Date;
  @Field(() => MetricInterval, { nullable: true, defaultValue: MetricInterval.DAY })
  interval?: MetricInterval | null;
  @Field(() => [Measure])
  measures!: Measure[];
  @Field(() => [MetricDimension], { nullable: true, description: 'One point per combination of these dimensions (none: one per bucket).' })
  groupBy?: MetricDimension[] | null;
  @Field(() => MetricsFilter, { nullable: true })
  filter?: MetricsFilter | null;
}

@ObjectType({ description: 'One bucket × measure × group: flat, to chart directly. Dimensions not grouped by are null.' })
export class MetricPoint {
  @Field(() => Date, { description: 'Start of the bucket.' })
  at!: Date;
  @Field(() => Measure)
  measure!: Measure;
  @Field(() => Float)
  value!: number;
  @Field(() => String, { nullable: true })
  channel!: string | null;
  @Field(() => ID, { nullable: true, description: 'The assigned agent (a user id).' })
  agent!: string | null;
  @Field(() => ID, { nullable: true })
  assistant!: string | null;
  @Field(() => String, { nullable: true })
  model!: string | null;
  @Field(() => String, { nullable: true })
  priority!: string | null;
}

/** Who reads analytics: analysts, supervisors and up, and API keys with `analytics:read`. */
export const READERS: readonly Role[] = ['OWNER', 'ADMIN', 'SUPERVISOR', 'ANALYST'];
/** At most this many buckets per query (e.g. 90 days hourly is 2,160). */
export const MAX_BUCKETS = 2_200;

@Resolver()
export class MetricsResolver {
  @Query(() => LiveMetrics, {
    nullable: true,
    description: 'The service right now — the numbers liveMetrics pushes — asked once, without a subscription (ANALYST, SUPERVISOR and up; analytics:read).',
  })
  async liveMetricsNow(@Ctx() ctx: AnalyticsContext): Promise<LiveMetrics> {
    const caller = authorize(ctx.identity, { roles: READERS, scope: 'analytics:read' });
    return computeLive(ctx.em as never, ctx.schema, caller.tenantId, new Date());
  }

  @Query(() => [MetricPoint], { description: 'Metrics over time from every domain: one flat row per bucket × measure × group (ANALYST, SUPERVISOR and up; analytics:read).' })
  async metrics(@Arg('input', () => MetricsInput) input: MetricsInput, @Ctx() ctx: AnalyticsContext): Promise<MetricPoint[]> {
    const caller = authorize(ctx.identity, { roles: READERS, scope: 'analytics:read' });
    const interval = (input.interval ?? MetricInterval.DAY) as IntervalName;
    if (!(input.from < input.to)) throw new BadInputError('input.to', 'to must be after from');
    if (!input.measures.length) throw new BadInputError('input.measures', 'ask for at least one measure');
    if (buckets(input.from, input.to, interval, MAX_BUCKETS).length > MAX_BUCKETS) throw new BadInputError('input.interval', `at most ${MAX_BUCKETS} buckets per query: use a longer interval or a shorter range`);
    const f = input.filter ?? {};
    const filter: Partial<Record<DimensionName, string[]>> = {};
    const lists: [DimensionName, string[] | null | undefined][] = [
      ['CHANNEL', f.channels],
      ['AGENT', f.agents],
      ['ASSISTANT', f.assistants],
      ['MODEL', f.models],
      ['PRIORITY', f.priorities],
    ];
    for (const [dim, values] of lists) {
      if (values == null) continue;
      if (values.length > 100) throw new BadInputError('input.filter', 'at most 100 values per filter');
      filter[dim] = values;
    }
    const measures = ([...new Set(input.measures)] as string[]).filter((m): m is MeasureName => (MEASURES as readonly string[]).includes(m));
    const points = await queryMetrics(ctx.em as never, ctx.schema, {
      tenantId: caller.tenantId,
      from: input.from,
      to: input.to,
      interval,
      measures,
      groupBy: [...new Set(input.groupBy ?? [])] as DimensionName[],
      filter,
      exactMaxSamples: ctx.config.ANALYTICS_EXACT_PERCENTILE_MAX_SAMPLES,
    });
    return points as MetricPoint[];
  }
}
