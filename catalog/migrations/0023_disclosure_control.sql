-- What a disclosure review asks of a numeric column, gathered during
-- conversion: the sum (as text: exact for integers), and for integers the
-- least value above zero and the greatest common divisor of all values.
-- NULL where unknown or not kept for the type.
ALTER TABLE dataset_columns ADD COLUMN sum_value TEXT;
ALTER TABLE dataset_columns ADD COLUMN least_positive BIGINT;
ALTER TABLE dataset_columns ADD COLUMN value_gcd BIGINT;
-- The multiple an acquisition's counts must be rounded to, where it
-- requires rounding.
ALTER TABLE acquisitions ADD COLUMN rounding_base BIGINT;
