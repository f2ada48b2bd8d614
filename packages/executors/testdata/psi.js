// Two-party private set intersection as a JavaScript function: the same contract as psi.c. Reads the
// parties' sets (one item per line) from input_data1 and input_data2, writes the common items in
// sorted order followed by "done" to output_data1 and output_data2, and returns how many there are.
function entrypoint(args, files) {
  const items = (name) =>
    new Set(
      files
        .readText(name)
        .split("\n")
        .map((line) => line.replace(/\r$/, ""))
        .filter((line) => line.length > 0),
    );
  const first = items("input_data1");
  const second = items("input_data2");
  const common = [...first].filter((item) => second.has(item)).sort();
  const text = common.map((item) => item + "\n").join("") + "done\n";
  files.writeText("output_data1", text);
  files.writeText("output_data2", text);
  console.log("common items:", common.length);
  return String(common.length);
}
