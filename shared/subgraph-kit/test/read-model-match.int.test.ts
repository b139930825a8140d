import type { Document } from 'mongodb';
import { runAggregate, runCount, runFind, Unsupported } from '@qsmo/subgraph-kit/read-model-match';
import { DOMAINS } from '../../../test/support/graph';
import { openSeededDatabase, type TestDatabase } from '../../../test/support/db';

/**
 * The read model's snapshot answers against the real database: every
 * command shape the subgraphs send gives what the database gives (as a set
 * where no sort is asked, in order where one is), and shapes outside what is
 * reproduced are refused (the model then asks the database).
 */
const grants = DOMAINS.find((d) => d.definition.serviceName === 'grants-management')!;
let database: TestDatabase;

beforeAll(async () => {
  database = await openSeededDatabase(grants.definition);
});
afterAll(async () => {
  await database.drop();
});

type Call = [string, unknown[]];
const CASES: { collection: string; args: unknown[]; calls?: Call[] }[] = [
  { collection: 'offerings', args: [{}] },
  { collection: 'offerings', args: [{ _id: { $in: ['grm-era', 'grm-grantsgov', 'nope'] } }] },
  { collection: 'offerings', args: [{ _id: 'grm-era' }] },
  { collection: 'offerings', args: [{ _id: { $in: ['grm-grantsgov', 'grm-era', 'grm-era', 'nope'] } }, { projection: { name: 1 } }] },
  { collection: 'capabilities', args: [{ _id: { $in: ['GRM.010', 'GRM.020.010', 'nope'] } }] },
  { collection: 'offerings', args: [{ providerId: 'nope' }] },
  { collection: 'offerings', args: [{ customerCodes: { $in: ['075', '070'] } }] },
  {
    collection: 'offerings',
    args: [{}],
    calls: [
      ['sort', [{ sortKey: 1, _id: 1 }]],
      ['limit', [6]],
    ],
  },
  {
    collection: 'offerings',
    args: [{ $or: [{ name: { $regex: 'GRANT', $options: 'i' } }, { category: { $regex: 'grant', $options: 'i' } }] }],
    calls: [
      ['sort', [{ sortKey: 1, _id: 1 }]],
      ['limit', [11]],
    ],
  },
  {
    collection: 'offerings',
    args: [{ $and: [{ name: { $regex: 'a', $options: 'i' } }, { $or: [{ sortKey: { $gt: 'g' } }, { sortKey: 'g', _id: { $gt: 'grm' } }] }] }],
    calls: [
      ['sort', [{ sortKey: 1, _id: 1 }]],
      ['limit', [4]],
    ],
  },
  { collection: 'offerings', args: [{ _id: { $gte: 'grm-e', $lt: 'grm-p' } }], calls: [['sort', [{ _id: -1 }]]] },
  { collection: 'offering_customers', args: [{ 'statedOn.from': { $gte: '2021-01-01' } }] },
  {
    collection: 'offering_customers',
    args: [{ agencyCode: { $in: ['075', '070', '015'] }, 'statedOn.from': { $gte: '2020-06-01' } }, { projection: { offeringId: 1, agencyCode: 1 } }],
  },
  { collection: 'capabilities', args: [{ level: 'FUNCTION' }, { projection: { name: 1 } }], calls: [['sort', [{ _id: 1 }]]] },
  { collection: 'capabilities', args: [{ parentCode: { $exists: true } }] },
  {
    collection: 'providers',
    args: [{}],
    calls: [
      ['sort', [{ sortKey: 1, _id: 1 }]],
      ['skip', [2]],
      ['limit', [3]],
    ],
  },
];

const byId = (docs: Document[]) => [...docs].sort((a, b) => (String(a._id) < String(b._id) ? -1 : 1));

test("finds and counts from a snapshot equal the database's answers", async () => {
  let selecting = 0;
  for (const c of CASES) {
    const collection = database.db.collection(c.collection);
    const all = await collection.find({}).toArray();
    let cursor = collection.find(...(c.args as [Document, Document?]));
    for (const [method, a] of c.calls ?? []) cursor = (cursor as any)[method](...a);
    const expected = await cursor.toArray();
    const actual = runFind(all, c.args, c.calls ?? []);
    if (actual.length > 0 && actual.length < all.length) selecting++;
    const label = JSON.stringify(c);
    if (c.calls?.some(([m]) => m === 'sort')) expect([label, actual]).toEqual([label, expected]);
    else expect([label, byId(actual)]).toEqual([label, byId(expected)]);
    if (!c.calls && c.args.length === 1) expect([label, runCount(all, c.args)]).toEqual([label, await collection.countDocuments(c.args[0] as Document)]);
  }
  // The cases are not vacuous: most of them select something, and not everything.
  expect(selecting).toBeGreaterThanOrEqual(CASES.length - 3);
});

const PIPELINES: { collection: string; pipeline: unknown[] }[] = [
  { collection: 'offerings', pipeline: [{ $group: { _id: '$shelf', count: { $sum: 1 } } }] },
  { collection: 'offerings', pipeline: [{ $group: { _id: '$providerId' } }, { $group: { _id: null, count: { $sum: 1 } } }] },
  { collection: 'offerings', pipeline: [{ $unwind: '$partnerIds' }, { $group: { _id: '$partnerIds' } }] },
  { collection: 'offerings', pipeline: [{ $unwind: '$capabilityPaths' }, { $group: { _id: '$capabilityPaths', count: { $sum: 1 } } }] },
  {
    collection: 'offerings',
    pipeline: [
      { $match: { customerCodes: { $in: ['075', '070', '024'] } } },
      { $unwind: '$customerCodes' },
      { $match: { customerCodes: { $in: ['075', '070', '024'] } } },
      { $group: { _id: '$customerCodes', count: { $sum: 1 } } },
    ],
  },
  {
    collection: 'offering_customers',
    pipeline: [
      { $match: { agencyCode: { $in: ['075', '070', '015'] }, 'statedOn.from': { $gte: '2020-06-01' } } },
      { $group: { _id: '$agencyCode', count: { $sum: 1 } } },
    ],
  },
  { collection: 'offering_customers', pipeline: [{ $group: { _id: '$agencyCode' } }, { $group: { _id: null, count: { $sum: 1 } } }] },
];

test("aggregations from a snapshot equal the database's (group rows as a set)", async () => {
  let grouped = 0;
  for (const c of PIPELINES) {
    const collection = database.db.collection(c.collection);
    const all = await collection.find({}).toArray();
    const expected = await collection.aggregate(c.pipeline as Document[]).toArray();
    if (expected.length > 0) grouped++;
    const label = JSON.stringify(c);
    expect([label, byId(runAggregate(all, [c.pipeline]))]).toEqual([label, byId(expected)]);
  }
  // Not vacuous: all but at most one (Grants offerings have no partners) give rows.
  expect(grouped).toBeGreaterThanOrEqual(PIPELINES.length - 1);
  const offerings = await database.db.collection('offerings').find({}).toArray();
  for (const refused of [
    [{ $lookup: {} }],
    [{ $group: { _id: '$shelf', total: { $sum: '$x' } } }],
    [{ $group: { _id: '$customerCodes' } }],
    [{ $sort: { _id: 1 } }],
  ]) {
    expect(() => runAggregate(offerings, [refused])).toThrow(Unsupported);
  }
});

test('shapes outside what is reproduced are refused, so the database answers them', async () => {
  const all = await database.db.collection('offerings').find({}).toArray();
  const refused: [unknown[], Call[]][] = [
    [[{ $where: 'true' }], []],
    [[{ name: { $regex: 'é', $options: 'i' } }], []],
    [[{ name: { $regex: 'a', $options: 'm' } }], []],
    [[{ name: { $ne: 'x' } }], []],
    [[{ name: null }], []],
    [[{}], [['limit', [3]]]],
    [[{}, { sort: { _id: 1 } }], []],
    [[{}], [['sort', [{ name: 'text' }]]]],
  ];
  for (const [args, calls] of refused) expect(() => runFind(all, args, calls)).toThrow(Unsupported);
});
