"""The images a study trains and tests on: one module per dataset (:mod:`.sources`), read
once and kept as a prepared file, with subsets and the loader that batches it on the job's
device (:mod:`.prepared`)."""
