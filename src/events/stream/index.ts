export {
  defaultConsumerName,
  startStreamReader,
  type StreamReader,
  type StreamReaderOptions,
  type StreamReaderStatus,
  type StreamSettings,
} from './stream-reader';
