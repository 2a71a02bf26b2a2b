// Uploads a file to Airlock with tus-js-client, a real tus client, under
// Node. Usage: node tus_upload.js ENDPOINT TOKEN ACQUISITION PATH [STOP_AT] [URL]
// With STOP_AT (bytes) it aborts once that much is acknowledged; with URL
// it resumes that upload. Prints the upload's URL.
const fs = require('node:fs')
const tus = require('tus-js-client')

const [endpoint, token, acquisition, path, stopAt, uploadUrl] = process.argv.slice(2)
const data = fs.readFileSync(path)
const stop = stopAt && stopAt !== '-' ? Number(stopAt) : null
const upload = new tus.Upload(data, {
  endpoint,
  uploadUrl: uploadUrl || null,
  chunkSize: 8 << 20,
  retryDelays: [],
  headers: { Authorization: `Bearer ${token}` },
  metadata: { acquisition_id: acquisition, filename: 'big.csv', format: 'csv' },
  onChunkComplete(_size, accepted) {
    if (stop !== null && accepted >= stop) {
      upload.abort().then(() => {
        console.log(upload.url)
        process.exit(0)
      })
    }
  },
  onSuccess() {
    console.log(upload.url)
  },
  onError(e) {
    console.error(String(e))
    process.exit(1)
  },
})
upload.start()
