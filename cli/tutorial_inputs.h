// The Better Transformer tutorial's inputs (its small and big batches),
// verbatim from the tutorial; tests/data/tutorial_inputs.json holds the same.
#pragma once

#include <string>
#include <vector>

namespace bte::cli {

inline const std::vector<std::string>& tutorial_small_batch() {
  static const std::vector<std::string> texts = {
    "Hello world",
    "How are you!",
  };
  return texts;
}

inline const std::vector<std::string>& tutorial_big_batch() {
  static const std::vector<std::string> texts = {
    "Hello world",
    "How are you!",
    "`Well, Prince, so Genoa and Lucca are now just family estates of the\n"
    "Buonapartes. But I warn you, if you don't tell me that this means war,\n"
    "if you still try to defend the infamies and horrors perpetrated by\n"
    "that Antichrist- I really believe he is Antichrist- I will have\n"
    "nothing more to do with you and you are no longer my friend, no longer\n"
    "my 'faithful slave,' as you call yourself! But how do you do? I see\n"
    "I have frightened you- sit down and tell me all the news.`\n"
    "\n"
    "It was in July, 1805, and the speaker was the well-known Anna\n"
    "Pavlovna Scherer, maid of honor and favorite of the Empress Marya\n"
    "Fedorovna. With these words she greeted Prince Vasili Kuragin, a man\n"
    "of high rank and importance, who was the first to arrive at her\n"
    "reception. Anna Pavlovna had had a cough for some days. She was, as\n"
    "she said, suffering from la grippe; grippe being then a new word in\n"
    "St. Petersburg, used only by the elite.",
  };
  return texts;
}

}  // namespace bte::cli
