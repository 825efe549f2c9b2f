import type { DataSource } from 'typeorm';
import { truncateText } from '../shared/storable-text';

/** The raw text kept for inspection is capped; the reason says how large the original was. */
export const MAX_STORED_RAW_CHARS = 64 * 1024;

export interface RejectedMessageRepository {
  store(channel: string, raw: string, reason: string): Promise<void>;
}

export function createRejectedMessageRepository(dataSource: DataSource): RejectedMessageRepository {
  return {
    async store(channel, raw, reason) {
      const kept = truncateText(raw, MAX_STORED_RAW_CHARS);
      await dataSource.query(`INSERT INTO rejected_messages (channel, raw, reason) VALUES ($1, $2, $3)`, [
        channel.slice(0, 200),
        kept,
        truncateText(reason, 2000),
      ]);
    },
  };
}
