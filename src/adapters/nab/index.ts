/** NAB corpus I/O: the data, labels and profiles of a corpus, and detectors' raw results. */
export { loadNabCorpus, type NabCorpus, type NabCorpusFile, type NabLabelSource } from './corpus-loader.ts';
export { readCsvTable } from './csv-table.ts';
export { parseNabTimestamp } from './nab-timestamp.ts';
export { readNabResults, resultFileName } from './results-reader.ts';
export { writeNabResults } from './results-writer.ts';
export { type NabThresholds, readNabThresholds } from './thresholds-reader.ts';
