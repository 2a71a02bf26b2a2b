-- The workbook sheet an acquisition's Excel deliveries publish.
ALTER TABLE acquisitions ADD COLUMN sheet TEXT;
