// generate, inspect, logits, tokenize, export-hf: the commands that read one model or tokenizer.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.h"
#include "distill/generation.h"
#include "distill/pretrained.h"
#include "distill/tokenizers.h"
#include "exit_codes.h"

namespace distill::cli {

namespace {

using Json = nlohmann::ordered_json;

std::string joinIds(const std::vector<long long>& ids) {
  std::string line;
  for (const auto id : ids) line += (line.empty() ? "" : " ") + std::to_string(id);
  return line;
}

struct GenerateRequest {
  std::string runDir;  ///< a run folder, where --model names one of its models
  std::string model;   ///< in a run: its model's name; else a checkpoint or Hugging Face folder
  int repeat = 1;      ///< in a run with train.repeats: which repeat's model
  std::string prompt;
  std::vector<long long> ids;  ///< instead of a text prompt
  bool printIds = false;
  SamplingOptions sampling;
};

int generateCommand(GenerateRequest request) {
  if (request.prompt.empty() && request.ids.empty()) {
    std::cerr << "error: give --prompt TEXT or --ids 3,1,4\n";
    return kExitBadInput;
  }
  std::string modelPath = request.model;
  if (!request.runDir.empty()) {
    const int repeats = repeatsInRun(request.runDir);
    if (request.repeat > repeats) {
      std::cerr << "error: " << request.runDir << " holds " << repeats << " repeat(s), not " << request.repeat
                << "\n";
      return kExitBadInput;
    }
    const auto models = modelsInRun(request.runDir, request.repeat);
    if (std::find(models.begin(), models.end(), request.model) == models.end()) {
      std::string list;
      for (const auto& m : models) list += (list.empty() ? "" : ", ") + m;
      std::cerr << "error: no model '" << request.model << "' in " << request.runDir
                << " (models: " << (list.empty() ? "none" : list) << ")\n";
      return kExitBadInput;
    }
    modelPath = checkpointPathFor(request.runDir, request.model, request.repeat);
  }
  TextGenerator generator(modelPath);
  if (!request.ids.empty()) {
    std::cout << joinIds(generator.generateIds(request.ids, request.sampling)) << std::endl;
    return kExitOk;
  }
  const auto result = generator.generate(request.prompt, request.sampling);
  std::cout << (request.printIds ? joinIds(result.ids) : request.prompt + result.text) << std::endl;
  std::cerr << result.ids.size() << " tokens, " << static_cast<long>(result.tokensPerSecond) << " tokens/s\n";
  return kExitOk;
}

int inspectCommand(const std::string& dir, bool json) {
  const auto info = inspectPretrainedModel(dir);
  if (json) {
    Json stored = Json::object();
    for (const auto& [dtype, count] : info.dtypeParameters) stored[dtype] = count;
    const Json out = {{"dir", info.dir},
                      {"model_type", info.modelType},
                      {"arch", info.arch},
                      {"parameters", info.parameters},
                      {"layers", info.layers},
                      {"heads", info.heads},
                      {"kv_heads", info.kvHeads},
                      {"embd", info.embd},
                      {"mlp", info.mlp},
                      {"vocab_size", info.vocabSize},
                      {"context_length", info.contextLength},
                      {"tied_head", info.tiedHead},
                      {"rope_theta", info.ropeTheta > 0.0 ? Json(info.ropeTheta) : Json()},
                      {"stored_parameters", stored},
                      {"tokenizer", info.tokenizer}};
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::printf("model_type:   %s (runs as %s)\n", info.modelType.c_str(), info.arch.c_str());
  std::printf("parameters:   %lld\n", info.parameters);
  std::printf("layers:       %d\nheads:        %d (key/value heads %d)\nwidth:        %d (MLP %d)\n",
              info.layers, info.heads, info.kvHeads, info.embd, info.mlp);
  std::printf("vocabulary:   %lld\ncontext:      %lld\nhead:         %s\n", info.vocabSize,
              info.contextLength, info.tiedHead ? "tied to the token embeddings" : "untied");
  if (info.ropeTheta > 0.0) std::printf("rope_theta:   %g\n", info.ropeTheta);
  std::string dtypes;
  for (const auto& [dtype, count] : info.dtypeParameters)
    dtypes += (dtypes.empty() ? "" : ", ") + dtype + " " + std::to_string(count);
  std::printf("stored:       %s (computed in float32)\ntokenizer:    %s\n", dtypes.c_str(),
              info.tokenizer.c_str());
  return kExitOk;
}

int logitsCommand(const std::string& modelPath, const std::vector<long long>& ids, bool all) {
  TextGenerator model(modelPath);
  const auto rows = model.logits(ids);
  // %.9g gives every float32 back exactly.
  for (size_t t = all ? 0 : rows.size() - 1; t < rows.size(); ++t) {
    std::string line;
    char value[32];
    for (const float v : rows[t]) {
      std::snprintf(value, sizeof value, "%.9g", static_cast<double>(v));
      line += (line.empty() ? "" : " ") + std::string(value);
    }
    std::printf("%s\n", line.c_str());
  }
  return kExitOk;
}

int tokenizeCommand(const std::string& tokenizer, const std::string& text, bool json) {
  const auto ids = tokenizeText(tokenizer, text);
  if (json) {
    std::cout << Json{{"tokenizer", tokenizer}, {"count", ids.size()}, {"ids", ids}}.dump() << "\n";
  } else {
    std::cout << joinIds(ids) << std::endl;
  }
  return kExitOk;
}

}  // namespace

void addModelCommands(CLI::App& app, Commands& commands) {
  auto gen = std::make_shared<GenerateRequest>();
  auto* generate = app.add_subcommand(
      "generate", "Continue a prompt with a model of a run, a checkpoint or a Hugging Face folder");
  generate->add_option("rundir", gen->runDir, "Run directory (then --model names one of its models)")
      ->check(CLI::ExistingDirectory);
  generate
      ->add_option("--model", gen->model,
                   "In a run: teacher, <student>-kd or <student>-scratch; else a Hugging Face folder or .pt")
      ->required();
  generate
      ->add_option("--repeat", gen->repeat, "In a run with train.repeats: that repeat's model (default 1)")
      ->check(CLI::PositiveNumber);
  auto* prompt = generate->add_option("--prompt", gen->prompt, "Text to continue");
  auto* ids = generate->add_option("--ids", gen->ids, "Token ids to continue, e.g. 3,1,4")->delimiter(',');
  prompt->excludes(ids);
  generate->add_flag("--print-ids", gen->printIds, "Print the new token ids (one line, separated by spaces)");
  generate->add_option("--max-new-tokens", gen->sampling.maxNewTokens, "Tokens to generate")
      ->check(CLI::Range(0, 100000));
  generate->add_option("--temperature", gen->sampling.temperature, "Softmax temperature (0: greedy)")
      ->check(CLI::NonNegativeNumber);
  generate->add_option("--top-k", gen->sampling.topK, "Keep the k most likely tokens (0: off)")
      ->check(CLI::NonNegativeNumber);
  generate->add_option("--top-p", gen->sampling.topP, "Nucleus sampling mass (1: off)")
      ->check(CLI::Range(1e-6, 1.0));
  generate->add_option("--seed", gen->sampling.seed, "Sampling seed");
  generate->add_flag("--greedy", gen->sampling.greedy, "Always take the most likely token");
  generate->footer(
      examples({"distill generate runs/shakespeare_char-20261203-101500 --model lstm-kd --prompt ROMEO:",
                "distill generate --model tests/fixtures/llama-tiny --ids 1,2,3 --greedy --print-ids"}));
  commands.add(generate, [gen] { return generateCommand(*gen); });

  auto modelDir = std::make_shared<std::string>();
  auto inspectJson = std::make_shared<bool>(false);
  auto* inspect = app.add_subcommand(
      "inspect", "Describe a Hugging Face model folder (architecture, parameters, dtypes)");
  inspect->add_option("model_dir", *modelDir, "Folder with config.json and model.safetensors")
      ->required()
      ->check(CLI::ExistingDirectory);
  inspect->add_flag("--json", *inspectJson, "Print one JSON object");
  inspect->footer(
      examples({"distill inspect tests/fixtures/gpt2-tiny", "distill inspect ~/models/SmolLM2-135M --json"}));
  commands.add(inspect, [modelDir, inspectJson] { return inspectCommand(*modelDir, *inspectJson); });

  auto logitsModel = std::make_shared<std::string>();
  auto logitsIds = std::make_shared<std::vector<long long>>();
  auto allPositions = std::make_shared<bool>(false);
  auto* logits = app.add_subcommand("logits", "Print a model's next-token logits for token ids");
  logits->add_option("model", *logitsModel, "Hugging Face folder or checkpoint (.pt)")
      ->required()
      ->check(CLI::ExistingPath);
  logits->add_option("--ids", *logitsIds, "Token ids, e.g. 3,1,4")->required()->delimiter(',');
  logits->add_flag("--all", *allPositions, "One line per position instead of the last one only");
  logits->footer(examples({"distill logits tests/fixtures/gpt2-tiny --ids 1,2,3",
                           "distill logits runs/<run>/checkpoints/teacher.pt --ids 5,9 --all"}));
  commands.add(logits, [logitsModel, logitsIds, allPositions] {
    return logitsCommand(*logitsModel, *logitsIds, *allPositions);
  });

  struct TokenizeRequest {
    std::string tokenizer, text;
    bool json = false;
  };
  auto tok = std::make_shared<TokenizeRequest>();
  auto* tokenize = app.add_subcommand("tokenize", "Print the token ids of a text");
  tokenize->add_option("--tokenizer", tok->tokenizer, "Tokenizer folder or file")
      ->required()
      ->check(CLI::ExistingPath);
  tokenize->add_option("--text", tok->text, "Text to encode")->required();
  tokenize->add_flag("--json", tok->json, "Print {tokenizer, count, ids}");
  tokenize->footer(examples({"distill tokenize --tokenizer tests/fixtures/bpe512 --text \"don't we'll\"",
                             "distill tokenize --tokenizer tok/ --text hello --json"}));
  commands.add(tokenize, [tok] { return tokenizeCommand(tok->tokenizer, tok->text, tok->json); });

  auto checkpoint = std::make_shared<std::string>();
  auto exportDir = std::make_shared<std::string>();
  auto* exportHf = app.add_subcommand(
      "export-hf",
      "Write a run's checkpoint as a Hugging Face folder (config.json, model.safetensors, tokenizer)");
  exportHf->add_option("checkpoint", *checkpoint, "A .pt of a run (runs/<run>/checkpoints/teacher.pt)")
      ->required()
      ->check(CLI::ExistingFile);
  exportHf->add_option("--out", *exportDir, "Folder to write")->required();
  exportHf->footer(examples({"distill export-hf runs/<run>/checkpoints/transformer-kd.pt --out hf/student"}));
  commands.add(exportHf, [checkpoint, exportDir] {
    std::cout << exportCheckpointToHuggingFace(*checkpoint, *exportDir) << std::endl;
    return static_cast<int>(kExitOk);
  });
}

}  // namespace distill::cli
