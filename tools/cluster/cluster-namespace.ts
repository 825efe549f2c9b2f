/**
 * The namespace of a fresh (or existing) cluster: registered with its retention, the contract's search attributes
 * added, and ready only once the frontend accepts queries on every attribute (a new namespace and its attributes
 * reach the frontend's caches a few seconds after they are written).
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';

const DAY_MS = 24 * 60 * 60 * 1000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const codeOf = (error: unknown) => (error as { code?: number }).code;
/** gRPC status ALREADY_EXISTS. */
const ALREADY_EXISTS = 6;

/** Resolves once the frontend answers getSystemInfo; rejects at the deadline or when `failed()` names a reason. */
export async function waitForFrontend(address: string, timeoutMs: number, failed: () => string | null = () => null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      const reason = failed();
      if (reason) throw new Error(reason, { cause: error });
      if (Date.now() > deadline)
        throw new Error(`Temporal frontend at ${address} did not answer: ${(error as Error).message}`, { cause: error });
      await pause(500);
    }
  }
}

const INDEXED_VALUE_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Text: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Double: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export interface RegisterNamespaceOptions {
  readonly address: string;
  readonly namespace: string;
  readonly retentionDays: number;
  readonly searchAttributes: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/** Registers the namespace (or sets its retention when it exists) and its search attributes; idempotent. */
export async function registerNamespace(options: RegisterNamespaceOptions): Promise<void> {
  const { namespace } = options;
  const retention = msToTs(options.retentionDays * DAY_MS);
  const deadline = Date.now() + options.timeoutMs;
  const connection = await Connection.connect({ address: options.address });
  // Retries while the namespace is not yet in the frontend's cache, or history is still joining.
  const retrying = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
        await pause(500);
      }
    }
  };
  try {
    await retrying('register namespace', async () => {
      try {
        await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: retention });
      } catch (error) {
        if (codeOf(error) !== ALREADY_EXISTS) throw error;
        await connection.workflowService.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: retention } });
      }
    });
    const wanted = Object.entries(options.searchAttributes).map(([name, type]) => {
      const valueType = INDEXED_VALUE_TYPES[type];
      if (valueType === undefined) throw new Error(`search attribute ${name}: unknown type ${type}`);
      return [name, valueType] as const;
    });
    await retrying('add search attributes', async () => {
      const existing = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = wanted.filter(([name]) => !(name in (existing.customAttributes ?? {})));
      if (missing.length > 0) {
        await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing) });
      }
    });
    // Ready when a visibility query naming every attribute is accepted (the frontend's cache knows them).
    const query = wanted.map(([name]) => `${name} = "cluster-ready-probe"`).join(' AND ');
    await retrying('query by search attributes', () =>
      connection.workflowService.listWorkflowExecutions({ namespace, query, pageSize: 1 }),
    );
  } finally {
    await connection.close();
  }
}
